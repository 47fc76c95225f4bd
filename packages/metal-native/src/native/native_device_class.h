// The JavaScript class NativeDevice: one Device (allocation, residency sets, fences).
#pragma once

#include <napi.h>

#include <memory>

#include "backend.h"

namespace mlx {

Napi::Function defineNativeDeviceClass(Napi::Env env);

// A new NativeDevice over an opened backend device.
Napi::Object wrapNativeDevice(Napi::Env env, std::shared_ptr<BackendDevice> backend);

}  // namespace mlx
