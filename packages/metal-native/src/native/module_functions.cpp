#include "module_functions.h"

#include <string>

#include "backend.h"
#include "buffer_record.h"
#include "js_bridge.h"
#include "native_device_class.h"

namespace mlx {
namespace {

Napi::Value openDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BackendKind kind = defaultBackend();
  if (!info[0].IsUndefined()) {
    if (!info[0].IsString() || !parseBackendName(info[0].As<Napi::String>().Utf8Value(), &kind)) {
      throwInvalid(env,
                   "backend must be \"metal\", \"host\" or \"cuda\", got " + describe(info[0]),
                   info[0]);
    }
  }
  return guarded(env, info[0], [&]() -> Napi::Value {
    return wrapNativeDevice(env, openBackendDevice(kind));
  });
}

Napi::Value backendStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto probes = probeAllBackends();
  Napi::Array list = Napi::Array::New(env, probes.size());
  for (size_t i = 0; i < probes.size(); ++i) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", backendName(probes[i].kind));
    entry.Set("built", probes[i].built);
    entry.Set("available", probes[i].available);
    entry.Set("reason", probes[i].available ? env.Null()
                                            : Napi::String::New(env, probes[i].reason).As<Napi::Value>());
    list.Set(static_cast<uint32_t>(i), entry);
  }
  return list;
}

Napi::Value defaultBackendName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), backendName(defaultBackend()));
}

Napi::Value liveBuffers(const Napi::CallbackInfo& info) {
  LiveBuffers live = BufferRecord::live();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("count", Napi::Number::New(info.Env(), static_cast<double>(live.count)));
  result.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(live.bytes)));
  return result;
}

}  // namespace

void exportModuleFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("openDevice", Napi::Function::New<openDevice>(env, "openDevice"));
  exports.Set("backendStatus", Napi::Function::New<backendStatus>(env, "backendStatus"));
  exports.Set("defaultBackend", Napi::Function::New<defaultBackendName>(env, "defaultBackend"));
  exports.Set("liveBuffers", Napi::Function::New<liveBuffers>(env, "liveBuffers"));
}

}  // namespace mlx
