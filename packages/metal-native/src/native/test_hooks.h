// Switches that make the native layer fail or wait on purpose, for tests (exported to
// JavaScript as @mlx/metal-native/test-hooks): allocation faults, delayed or failing host
// fences, refused external ArrayBuffers.
#pragma once

#include <napi.h>

namespace mlx {

void exportTestHooks(Napi::Env env, Napi::Object exports);

}  // namespace mlx
