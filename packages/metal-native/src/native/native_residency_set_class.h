// The JavaScript class NativeResidencySet: one ResidencyTracker (add, remove, commit,
// residency requests), its membership checked natively.
#pragma once

#include <napi.h>

#include <memory>

#include "residency_tracker.h"

namespace mlx {

Napi::Function defineNativeResidencySetClass(Napi::Env env);

// A new NativeResidencySet over `tracker`.
Napi::Object wrapNativeResidencySet(Napi::Env env, std::shared_ptr<ResidencyTracker> tracker);

}  // namespace mlx
