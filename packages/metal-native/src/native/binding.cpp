// The only N-API file: JavaScript classes over Device, BufferRecord and ResidencyTracker.
// It converts arguments, turns NativeError into JavaScript errors (code, value, bytes),
// and owns the one thing that needs the JavaScript engine: the external ArrayBuffer.
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>

#include "allocation_faults.h"
#include "argument_checks.h"
#include "backend.h"
#include "buffer_record.h"
#include "completion_fence.h"
#include "device.h"
#include "errors.h"
#include "residency_tracker.h"

#if defined(MLX_METAL_FAKE)
// test/fake-metal/addon_exports.cpp: fakeMetalReport() and friends, in the fake build only.
void registerFakeMetalExports(Napi::Env env, Napi::Object exports);
#endif

namespace mlx {
namespace {

// ---------------------------------------------------------------- errors

Napi::Error makeError(Napi::Env env, const char* code, const std::string& message,
                      Napi::Value value) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("value", value.IsEmpty() ? env.Undefined() : value);
  return error;
}

// `subject` stands in for the offending value when the native error carries none
// (a destroyed object, a buffer of another device).
Napi::Error toJsError(Napi::Env env, const NativeError& error, Napi::Value subject) {
  Napi::Value value = subject;
  switch (error.value().kind) {
    case ErrorValue::Kind::Number:
      value = Napi::Number::New(env, error.value().number);
      break;
    case ErrorValue::Kind::String:
      value = Napi::String::New(env, error.value().text);
      break;
    case ErrorValue::Kind::None:
      break;
  }
  Napi::Error js = makeError(env, errorCodeName(error.code()), error.what(), value);
  if (error.hasBytes()) js.Set("bytes", Napi::Number::New(env, static_cast<double>(error.bytes())));
  return js;
}

// Runs native work, converting native failures. Napi::Error passes through untouched.
template <typename Body>
auto guarded(Napi::Env env, Napi::Value subject, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const NativeError& error) {
    throw toJsError(env, error, subject);
  } catch (const std::bad_alloc&) {
    throw makeError(env, "BUFFER_ALLOCATION", "out of memory in native bookkeeping", subject);
  }
}

// How a value reads in an error message, without running user code (no toString calls).
std::string describe(Napi::Value value) {
  switch (value.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return value.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number:
      return formatNumber(value.As<Napi::Number>().DoubleValue());
    case napi_string:
      return "\"" + value.As<Napi::String>().Utf8Value() + "\"";
    case napi_bigint:
      return value.ToString().Utf8Value() + "n";  // BigInt's own toString: no user code
    case napi_symbol:
      return "a symbol";
    case napi_function:
      return "a function";
    default:
      return "an object";
  }
}

[[noreturn]] void throwInvalid(Napi::Env env, const std::string& message, Napi::Value value) {
  throw makeError(env, "INVALID_ARGUMENT", message, value);
}

// A number argument for the shared checks; anything that is not a number is refused here.
double numberArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) {
    throwInvalid(info.Env(),
                 std::string(name) + " must be a number, got " + describe(value), value);
  }
  return value.As<Napi::Number>().DoubleValue();
}

// ---------------------------------------------------------------- per-environment state

struct AddonData {
  Napi::FunctionReference deviceClass;
  Napi::FunctionReference bufferClass;
  Napi::FunctionReference residencySetClass;
  // Test hook: behave as if external ArrayBuffers were refused (as under a V8 sandbox).
  bool externalBuffersRefused = false;
};

AddonData& addonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// Instances are made natively only; `new` from JavaScript lacks this token.
const char* const kConstructToken = "mlx-native-construct";

bool constructedNatively(const Napi::CallbackInfo& info) {
  return info.Length() == 2 && info[0].IsExternal() &&
         info[0].As<Napi::External<char>>().Data() == kConstructToken;
}

template <typename T>
T* externalPayload(const Napi::CallbackInfo& info) {
  return info[1].As<Napi::External<T>>().Data();
}

// ---------------------------------------------------------------- buffer

class BufferWrap : public Napi::ObjectWrap<BufferWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env) {
    return DefineClass(env, "NativeBuffer",
                       {
                           InstanceAccessor<&BufferWrap::byteLength>("byteLength"),
                           InstanceAccessor<&BufferWrap::address>("address"),
                           InstanceAccessor<&BufferWrap::deviceId>("deviceId"),
                           InstanceAccessor<&BufferWrap::destroyed>("destroyed"),
                           InstanceMethod<&BufferWrap::contents>("contents"),
                           InstanceMethod<&BufferWrap::read>("read"),
                           InstanceMethod<&BufferWrap::write>("write"),
                           InstanceMethod<&BufferWrap::destroy>("destroy"),
                       });
  }

  explicit BufferWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BufferWrap>(info) {
    if (!constructedNatively(info)) {
      throw Napi::TypeError::New(info.Env(), "NativeBuffer is created by device.allocBuffer()");
    }
    record_ = *externalPayload<std::shared_ptr<BufferRecord>>(info);
    // Tell V8 about memory it cannot see, so the GC safety net runs at a sensible pace.
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(),
                                                 static_cast<int64_t>(record_->byteLength()));
    accounted_ = true;
  }

  static Napi::Object create(Napi::Env env, std::shared_ptr<BufferRecord> record) {
    return addonData(env).bufferClass.New(
        {Napi::External<char>::New(env, const_cast<char*>(kConstructToken)),
         Napi::External<std::shared_ptr<BufferRecord>>::New(env, &record)});
  }

  const std::shared_ptr<BufferRecord>& record() const { return record_; }

  void Finalize(Napi::Env env) override { unaccount(env); }

 private:
  Napi::Value byteLength(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(record_->byteLength()));
  }
  Napi::Value address(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), record_->address());
  }
  Napi::Value deviceId(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(record_->deviceId()));
  }
  Napi::Value destroyed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), record_->freed());
  }

  // Zero-copy view of the memory; the same ArrayBuffer on every call.
  Napi::Value contents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    guarded(env, Value(), [&] { record_->checkAlive("get contents"); });
    if (!contents_.IsEmpty()) return contents_.Value();
    if (addonData(env).externalBuffersRefused) throwExternalRefused(env);

    // The finalizer owns one share of the record: it keeps the memory alive while only the
    // ArrayBuffer is reachable, and after a detach + destroy() it just drops the share.
    auto* share = new std::shared_ptr<BufferRecord>(record_);
    napi_value arrayBuffer = nullptr;
    const napi_status status = napi_create_external_arraybuffer(
        env, record_->allocation().contents, record_->byteLength(), dropShare, share,
        &arrayBuffer);
    if (status != napi_ok) {
      delete share;
      if (status == napi_no_external_buffers_allowed) throwExternalRefused(env);
      NAPI_THROW_IF_FAILED(env, status, Napi::Value());
    }
    Napi::ArrayBuffer buffer(env, arrayBuffer);
    contents_ = Napi::Persistent(buffer);
    return buffer;
  }

  [[noreturn]] void throwExternalRefused(Napi::Env env) {
    throw makeError(env, "UNSUPPORTED_BACKEND",
                    "contents() needs external ArrayBuffers, which this runtime refuses "
                    "(V8 sandbox, e.g. Electron); use buffer.read(offset, length) and "
                    "buffer.write(offset, data) to copy instead",
                    Value());
  }

  static void dropShare(napi_env, void*, void* share) {
    delete static_cast<std::shared_ptr<BufferRecord>*>(share);
  }

  Napi::Value read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, Value(), [&]() -> Napi::Value {
      record_->checkAlive("read");
      const double offset = info[0].IsUndefined() ? 0 : numberArg(info, 0, "offset");
      const uint64_t start = checkNonNegativeInteger(offset, "offset");
      const double fallbackLength =
          start <= record_->byteLength() ? static_cast<double>(record_->byteLength() - start) : 0;
      const double length = info[1].IsUndefined() ? fallbackLength : numberArg(info, 1, "length");
      const uint64_t count = checkNonNegativeInteger(length, "length");
      checkRange(start, count, record_->byteLength());
      Napi::Uint8Array out = Napi::Uint8Array::New(env, count);
      record_->copyOut(start, count, out.Data());
      return out;
    });
  }

  Napi::Value write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, Value(), [&]() -> Napi::Value {
      record_->checkAlive("write");
      const uint64_t start = checkNonNegativeInteger(numberArg(info, 0, "offset"), "offset");
      Napi::Value data = info[1];
      const uint8_t* bytes = nullptr;
      size_t count = 0;
      if (data.IsTypedArray()) {
        auto view = data.As<Napi::TypedArray>();
        bytes = static_cast<const uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
        count = view.ByteLength();
      } else if (data.IsDataView()) {
        auto view = data.As<Napi::DataView>();
        bytes = static_cast<const uint8_t*>(view.Data());
        count = view.ByteLength();
      } else {
        throwInvalid(env, "data must be a Uint8Array (or another ArrayBuffer view), got " +
                              describe(data),
                     data);
      }
      record_->copyIn(start, bytes, count);
      return env.Undefined();
    });
  }

  // Detach first, then free: after this no JavaScript view can reach the memory.
  Napi::Value destroy(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!contents_.IsEmpty()) {
      contents_.Value().Detach();
      contents_.Reset();
    }
    record_->free();
    unaccount(env);
    return env.Undefined();
  }

  void unaccount(Napi::Env env) {
    if (!accounted_) return;
    accounted_ = false;
    Napi::MemoryManagement::AdjustExternalMemory(env,
                                                 -static_cast<int64_t>(record_->byteLength()));
  }

  std::shared_ptr<BufferRecord> record_;
  Napi::Reference<Napi::ArrayBuffer> contents_;
  bool accounted_ = false;
};

// A NativeBuffer argument, or INVALID_ARGUMENT.
BufferWrap* bufferArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value value = info[index];
  if (!value.IsObject() ||
      !value.As<Napi::Object>().InstanceOf(addonData(info.Env()).bufferClass.Value())) {
    throwInvalid(info.Env(), "expected a NativeBuffer, got " + describe(value), value);
  }
  return BufferWrap::Unwrap(value.As<Napi::Object>());
}

// ---------------------------------------------------------------- residency set

class ResidencySetWrap : public Napi::ObjectWrap<ResidencySetWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env) {
    return DefineClass(
        env, "NativeResidencySet",
        {
            InstanceAccessor<&ResidencySetWrap::label>("label"),
            InstanceAccessor<&ResidencySetWrap::deviceId>("deviceId"),
            InstanceAccessor<&ResidencySetWrap::allocationCount>("allocationCount"),
            InstanceAccessor<&ResidencySetWrap::commitCount>("commitCount"),
            InstanceAccessor<&ResidencySetWrap::residencyRequested>("residencyRequested"),
            InstanceAccessor<&ResidencySetWrap::destroyed>("destroyed"),
            InstanceMethod<&ResidencySetWrap::add>("add"),
            InstanceMethod<&ResidencySetWrap::remove>("remove"),
            InstanceMethod<&ResidencySetWrap::removeAll>("removeAll"),
            InstanceMethod<&ResidencySetWrap::commit>("commit"),
            InstanceMethod<&ResidencySetWrap::requestResidency>("requestResidency"),
            InstanceMethod<&ResidencySetWrap::endResidency>("endResidency"),
            InstanceMethod<&ResidencySetWrap::contains>("contains"),
            InstanceMethod<&ResidencySetWrap::destroy>("destroy"),
        });
  }

  explicit ResidencySetWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<ResidencySetWrap>(info) {
    if (!constructedNatively(info)) {
      throw Napi::TypeError::New(info.Env(),
                                 "NativeResidencySet is created by device.newResidencySet()");
    }
    tracker_ = *externalPayload<std::shared_ptr<ResidencyTracker>>(info);
  }

  static Napi::Object create(Napi::Env env, std::shared_ptr<ResidencyTracker> tracker) {
    return addonData(env).residencySetClass.New(
        {Napi::External<char>::New(env, const_cast<char*>(kConstructToken)),
         Napi::External<std::shared_ptr<ResidencyTracker>>::New(env, &tracker)});
  }

 private:
  Napi::Value label(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), tracker_->label());
  }
  Napi::Value deviceId(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(tracker_->deviceId()));
  }
  Napi::Value allocationCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(tracker_->allocationCount()));
  }
  Napi::Value commitCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(tracker_->commitCount()));
  }
  Napi::Value residencyRequested(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), tracker_->residencyRequested());
  }
  Napi::Value destroyed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), tracker_->destroyed());
  }

  // Buffer arguments: the set is checked first (subject: the set), then the buffer
  // (subject: the buffer), so `value` names whichever object was at fault.
  template <typename Action>
  Napi::Value withBuffer(const Napi::CallbackInfo& info, const char* operation, Action action) {
    Napi::Env env = info.Env();
    guarded(env, Value(), [&] {
      if (tracker_->destroyed()) {
        throw NativeError(ErrorCode::Disposed, std::string("cannot ") + operation +
                                                   ": residency set \"" + tracker_->label() +
                                                   "\" was destroyed");
      }
    });
    BufferWrap* buffer = bufferArg(info, 0);
    return guarded(env, info[0], [&] { return action(buffer->record()); });
  }

  Napi::Value add(const Napi::CallbackInfo& info) {
    return withBuffer(info, "add", [&](const std::shared_ptr<BufferRecord>& record) {
      tracker_->add(record);
      return info.Env().Undefined();
    });
  }
  Napi::Value remove(const Napi::CallbackInfo& info) {
    return withBuffer(info, "remove", [&](const std::shared_ptr<BufferRecord>& record) {
      tracker_->remove(record);
      return info.Env().Undefined();
    });
  }
  // A query: a destroyed buffer or one of another device is simply not a member.
  Napi::Value contains(const Napi::CallbackInfo& info) {
    BufferWrap* buffer = bufferArg(info, 0);
    return Napi::Boolean::New(info.Env(), tracker_->contains(buffer->record().get()));
  }

  template <typename Action>
  Napi::Value onSet(const Napi::CallbackInfo& info, Action action) {
    guarded(info.Env(), Value(), action);
    return info.Env().Undefined();
  }
  Napi::Value removeAll(const Napi::CallbackInfo& info) {
    return onSet(info, [&] { tracker_->removeAll(); });
  }
  Napi::Value commit(const Napi::CallbackInfo& info) {
    return onSet(info, [&] { tracker_->commit(); });
  }
  Napi::Value requestResidency(const Napi::CallbackInfo& info) {
    return onSet(info, [&] { tracker_->requestResidency(); });
  }
  Napi::Value endResidency(const Napi::CallbackInfo& info) {
    return onSet(info, [&] { tracker_->endResidency(); });
  }
  Napi::Value destroy(const Napi::CallbackInfo& info) {
    tracker_->destroy();
    return info.Env().Undefined();
  }

  std::shared_ptr<ResidencyTracker> tracker_;
};

// ---------------------------------------------------------------- device

class DeviceWrap : public Napi::ObjectWrap<DeviceWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env) {
    return DefineClass(
        env, "NativeDevice",
        {
            InstanceAccessor<&DeviceWrap::id>("id"),
            InstanceAccessor<&DeviceWrap::backend>("backend"),
            InstanceAccessor<&DeviceWrap::name>("name"),
            InstanceAccessor<&DeviceWrap::maxBufferLength>("maxBufferLength"),
            InstanceAccessor<&DeviceWrap::hasUnifiedMemory>("hasUnifiedMemory"),
            InstanceAccessor<&DeviceWrap::recommendedMaxWorkingSetSize>(
                "recommendedMaxWorkingSetSize"),
            InstanceAccessor<&DeviceWrap::residencySupported>("residencySupported"),
            InstanceAccessor<&DeviceWrap::residencyUnsupportedReason>(
                "residencyUnsupportedReason"),
            InstanceAccessor<&DeviceWrap::destroyed>("destroyed"),
            InstanceMethod<&DeviceWrap::allocBuffer>("allocBuffer"),
            InstanceMethod<&DeviceWrap::newResidencySet>("newResidencySet"),
            InstanceMethod<&DeviceWrap::fence>("fence"),
            InstanceMethod<&DeviceWrap::destroy>("destroy"),
        });
  }

  explicit DeviceWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceWrap>(info) {
    if (!constructedNatively(info)) {
      throw Napi::TypeError::New(info.Env(), "NativeDevice is created by openDevice()");
    }
    device_ = std::make_unique<Device>(*externalPayload<std::shared_ptr<BackendDevice>>(info));
  }

  static Napi::Object create(Napi::Env env, std::shared_ptr<BackendDevice> backend) {
    return addonData(env).deviceClass.New(
        {Napi::External<char>::New(env, const_cast<char*>(kConstructToken)),
         Napi::External<std::shared_ptr<BackendDevice>>::New(env, &backend)});
  }

 private:
  Napi::Value id(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(device_->id()));
  }
  Napi::Value backend(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), backendName(device_->kind()));
  }
  Napi::Value name(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), device_->info().name);
  }
  Napi::Value maxBufferLength(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(device_->info().maxBufferLength));
  }
  Napi::Value hasUnifiedMemory(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), device_->info().hasUnifiedMemory);
  }
  Napi::Value recommendedMaxWorkingSetSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(),
                             static_cast<double>(device_->info().recommendedMaxWorkingSetSize));
  }
  Napi::Value residencySupported(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), device_->info().residencySupported);
  }
  Napi::Value residencyUnsupportedReason(const Napi::CallbackInfo& info) {
    const DeviceInfo& details = device_->info();
    if (details.residencySupported) return info.Env().Null();
    return Napi::String::New(info.Env(), details.residencyUnsupportedReason);
  }
  Napi::Value destroyed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), device_->destroyed());
  }

  Napi::Value allocBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, Value(), [&]() -> Napi::Value {
      const double byteLength = numberArg(info, 0, "byteLength");
      return BufferWrap::create(env, device_->allocBuffer(byteLength));
    });
  }

  Napi::Value newResidencySet(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, Value(), [&]() -> Napi::Value {
      std::string label = "mlx-residency-set";
      if (!info[0].IsUndefined()) {
        if (!info[0].IsString()) {
          throwInvalid(env, "label must be a string, got " + describe(info[0]), info[0]);
        }
        label = info[0].As<Napi::String>().Utf8Value();
      }
      const double capacity = info[1].IsUndefined()
                                  ? static_cast<double>(kDefaultResidencySetCapacity)
                                  : numberArg(info, 1, "initialCapacity");
      return ResidencySetWrap::create(env, device_->newResidencySet(label, capacity));
    });
  }

  // fence(stream?: bigint): a promise for the completion of the work submitted to `stream`
  // before the call. A destroyed device or a bad stream throws at once (no promise).
  Napi::Value fence(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    guarded(env, Value(), [&] {
      if (device_->destroyed()) {
        throw NativeError(ErrorCode::Disposed, "cannot fence: device " +
                                                   std::to_string(device_->id()) + " (" +
                                                   device_->info().name + ") was destroyed");
      }
    });
    const uint64_t stream = streamArg(info, 0);
    return guarded(env, info[0], [&]() -> Napi::Value {
      return startFence(env, [&](const std::shared_ptr<FenceSignal>& signal) {
        return device_->enqueueFence(stream, signal);
      });
    });
  }

  // undefined = 0 (the backend's default stream), else a non-negative bigint handle.
  static uint64_t streamArg(const Napi::CallbackInfo& info, size_t index) {
    Napi::Value value = info[index];
    if (value.IsUndefined()) return 0;
    if (value.IsBigInt()) {
      bool lossless = false;
      const uint64_t handle = value.As<Napi::BigInt>().Uint64Value(&lossless);
      if (lossless) return handle;
    }
    throwInvalid(info.Env(),
                 "stream must be a non-negative bigint below 2^64 (a native stream handle) or "
                 "undefined, got " +
                     describe(value),
                 value);
  }

  Napi::Value destroy(const Napi::CallbackInfo& info) {
    device_->destroy();
    return info.Env().Undefined();
  }

  std::unique_ptr<Device> device_;
};

// ---------------------------------------------------------------- module functions

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
    return DeviceWrap::create(env, openBackendDevice(kind));
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

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->deviceClass = Napi::Persistent(DeviceWrap::defineClass(env));
  data->bufferClass = Napi::Persistent(BufferWrap::defineClass(env));
  data->residencySetClass = Napi::Persistent(ResidencySetWrap::defineClass(env));
  env.SetInstanceData(data);

  exports.Set("NativeDevice", data->deviceClass.Value());
  exports.Set("NativeBuffer", data->bufferClass.Value());
  exports.Set("NativeResidencySet", data->residencySetClass.Value());
  exports.Set("openDevice", Napi::Function::New<openDevice>(env, "openDevice"));
  exports.Set("backendStatus", Napi::Function::New<backendStatus>(env, "backendStatus"));
  exports.Set("defaultBackend", Napi::Function::New<defaultBackendName>(env, "defaultBackend"));
  exports.Set("liveBuffers", Napi::Function::New<liveBuffers>(env, "liveBuffers"));
  exports.Set("setAllocationFaultAfter",
              Napi::Function::New<setAllocationFaultAfter>(env, "setAllocationFaultAfter"));
  exports.Set("setHostFenceDelay", Napi::Function::New<setHostFenceDelay>(env, "setHostFenceDelay"));
  exports.Set("setExternalArrayBuffersRefused",
              Napi::Function::New<setExternalArrayBuffersRefused>(
                  env, "setExternalArrayBuffersRefused"));
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
