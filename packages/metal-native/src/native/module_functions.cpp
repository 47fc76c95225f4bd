#include "module_functions.h"

#include <cmath>
#include <string>

#include "backend.h"
#include "buffer_record.h"
#include "js_bridge.h"
#include "native_buffer_class.h"
#include "native_device_class.h"

namespace mlx {
namespace {

BackendKind backendArg(const Napi::CallbackInfo& info) {
  BackendKind kind = defaultBackend();
  if (!info[0].IsUndefined()) {
    if (!info[0].IsString() || !parseBackendName(info[0].As<Napi::String>().Utf8Value(), &kind)) {
      throwInvalid(info.Env(),
                   "backend must be \"metal\", \"host\" or \"cuda\", got " + describe(info[0]),
                   info[0]);
    }
  }
  return kind;
}

// openDevice(backend?, index?): index is a non-negative integer (default 0).
Napi::Value openDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const BackendKind kind = backendArg(info);
  uint32_t index = 0;
  if (!info[1].IsUndefined()) {
    const double value = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
    if (!(value >= 0 && value <= 4294967295.0 && std::floor(value) == value)) {
      throwInvalid(env, "index must be a non-negative integer (a device index), got " +
                            describe(info[1]),
                   info[1]);
    }
    index = static_cast<uint32_t>(value);
  }
  return guarded(env, info[1].IsUndefined() ? info[0] : info[1], [&]() -> Napi::Value {
    return wrapNativeDevice(env, openBackendDevice(kind, index));
  });
}

// listDevices(): every device of every backend built and available, opening none.
Napi::Value listDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, env.Undefined(), [&]() -> Napi::Value {
    Napi::Array list = Napi::Array::New(env);
    uint32_t next = 0;
    for (const BackendProbe& probe : probeAllBackends()) {
      for (const DeviceInfo& device : describeBackendDevices(probe.kind)) {
        Napi::Object entry = Napi::Object::New(env);
        entry.Set("backend", backendName(probe.kind));
        entry.Set("index", device.index);
        entry.Set("name", device.name);
        entry.Set("maxBufferLength", static_cast<double>(device.maxBufferLength));
        entry.Set("hasUnifiedMemory", device.hasUnifiedMemory);
        list.Set(next++, entry);
      }
    }
    return list;
  });
}

// bufferHandles(buffer): { nativeHandle, gpuAddress } of a live NativeBuffer (interop.h).
Napi::Value bufferHandles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::shared_ptr<BufferRecord>& record = nativeBufferArg(info, 0);
  guarded(env, info[0], [&] { record->checkAlive("read native handles"); });
  Napi::Object handles = Napi::Object::New(env);
  handles.Set("nativeHandle", Napi::BigInt::New(env, record->allocation().nativeHandle()));
  handles.Set("gpuAddress", Napi::BigInt::New(env, record->allocation().gpuAddress));
  return handles;
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
  exports.Set("listDevices", Napi::Function::New<listDevices>(env, "listDevices"));
  exports.Set("bufferHandles", Napi::Function::New<bufferHandles>(env, "bufferHandles"));
  exports.Set("backendStatus", Napi::Function::New<backendStatus>(env, "backendStatus"));
  exports.Set("defaultBackend", Napi::Function::New<defaultBackendName>(env, "defaultBackend"));
  exports.Set("liveBuffers", Napi::Function::New<liveBuffers>(env, "liveBuffers"));
}

}  // namespace mlx
