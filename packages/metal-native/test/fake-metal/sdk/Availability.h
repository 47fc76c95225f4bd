// Stand-in for Apple's <Availability.h>: the SDK version is chosen with -DSTUB_SDK=140000|150000,
// so one source tree compiles the backend as a macOS 14 SDK and a macOS 15 SDK would.
#pragma once
#ifndef STUB_SDK
#define STUB_SDK 150000
#endif
#define __MAC_13_0 130000
#define __MAC_14_0 140000
#define __MAC_15_0 150000
#define __MAC_OS_X_VERSION_MAX_ALLOWED STUB_SDK
