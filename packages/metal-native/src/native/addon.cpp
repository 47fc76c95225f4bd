// The addon's entry point: registers one JavaScript class per file (NativeDevice,
// NativeBuffer, NativeResidencySet), the module functions and the test hooks. Every N-API file
// sits above backend.h's interfaces and converts NativeError into JavaScript errors (code,
// value, bytes) through js_bridge.h.
#include <napi.h>

#include "js_bridge.h"
#include "module_functions.h"
#include "native_buffer_class.h"
#include "native_device_class.h"
#include "native_residency_set_class.h"
#include "test_hooks.h"

#if defined(MLX_METAL_FAKE)
// test/fake-metal/addon_exports.cpp: fakeMetalReport() and friends, in the fake build only.
void registerFakeMetalExports(Napi::Env env, Napi::Object exports);
#endif

namespace mlx {
namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->deviceClass = Napi::Persistent(defineNativeDeviceClass(env));
  data->bufferClass = Napi::Persistent(defineNativeBufferClass(env));
  data->residencySetClass = Napi::Persistent(defineNativeResidencySetClass(env));
  env.SetInstanceData(data);

  exports.Set("NativeDevice", data->deviceClass.Value());
  exports.Set("NativeBuffer", data->bufferClass.Value());
  exports.Set("NativeResidencySet", data->residencySetClass.Value());
  exportModuleFunctions(env, exports);
  exportTestHooks(env, exports);
#if defined(MLX_METAL_FAKE)
  ::registerFakeMetalExports(env, exports);
#endif
  return exports;
}

}  // namespace
}  // namespace mlx

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified one.
static Napi::Object InitMlxNative(Napi::Env env, Napi::Object exports) {
  return mlx::init(env, exports);
}
NODE_API_MODULE(mlx_native, InitMlxNative)
