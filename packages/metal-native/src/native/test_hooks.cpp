#include "test_hooks.h"

#include <cstdint>
#include <string>

#include "allocation_faults.h"
#include "argument_checks.h"
#include "completion_fence.h"
#include "js_bridge.h"

namespace mlx {
namespace {

// After `n` more successful native allocations, the next one fails (once); null disarms.
Napi::Value setAllocationFaultAfter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info[0].IsNull() || info[0].IsUndefined()) {
    disarmAllocationFault();
    return env.Undefined();
  }
  guarded(env, info[0], [&] {
    armAllocationFault(
        static_cast<int64_t>(checkNonNegativeInteger(numberArg(info, 0, "n"), "n")));
  });
  return env.Undefined();
}

// Test hook: host fences complete from another thread after `ms` milliseconds (through the
// same thread-safe path as the GPU backends), failing with `failWith` as the error name when
// it is a string. null/undefined restores immediate host fences.
Napi::Value setHostFenceDelay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info[0].IsNull() || info[0].IsUndefined()) {
    setHostFenceSimulation(-1, "");
    return env.Undefined();
  }
  std::string failWith;
  if (!info[1].IsUndefined()) {
    if (!info[1].IsString()) {
      throwInvalid(env, "failWith must be a string, got " + describe(info[1]), info[1]);
    }
    failWith = info[1].As<Napi::String>().Utf8Value();
  }
  guarded(env, info[0], [&] {
    setHostFenceSimulation(
        static_cast<int64_t>(checkNonNegativeInteger(numberArg(info, 0, "ms"), "ms")), failWith);
  });
  return env.Undefined();
}

Napi::Value setExternalArrayBuffersRefused(const Napi::CallbackInfo& info) {
  addonData(info.Env()).externalBuffersRefused = info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

}  // namespace

void exportTestHooks(Napi::Env env, Napi::Object exports) {
  exports.Set("setAllocationFaultAfter",
              Napi::Function::New<setAllocationFaultAfter>(env, "setAllocationFaultAfter"));
  exports.Set("setHostFenceDelay", Napi::Function::New<setHostFenceDelay>(env, "setHostFenceDelay"));
  exports.Set("setExternalArrayBuffersRefused",
              Napi::Function::New<setExternalArrayBuffersRefused>(
                  env, "setExternalArrayBuffersRefused"));
}

}  // namespace mlx
