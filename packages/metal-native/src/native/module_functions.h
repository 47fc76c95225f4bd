// The addon's plain functions: openDevice, backendStatus, defaultBackend, liveBuffers.
#pragma once

#include <napi.h>

namespace mlx {

void exportModuleFunctions(Napi::Env env, Napi::Object exports);

}  // namespace mlx
