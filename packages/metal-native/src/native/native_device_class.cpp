#include "native_device_class.h"

#include <cmath>
#include <string>

#include "argument_checks.h"
#include "completion_fence.h"
#include "device.h"
#include "errors.h"
#include "js_bridge.h"
#include "native_buffer_class.h"
#include "native_residency_set_class.h"

namespace mlx {
namespace {

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
            InstanceAccessor<&DeviceWrap::index>("index"),
            InstanceAccessor<&DeviceWrap::nativeDevice>("nativeDevice"),
            InstanceAccessor<&DeviceWrap::nativeQueue>("nativeQueue"),
            InstanceMethod<&DeviceWrap::attachResidency>("attachResidency"),
            InstanceMethod<&DeviceWrap::detachResidency>("detachResidency"),
            InstanceMethod<&DeviceWrap::residencyQueues>("residencyQueues"),
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

  Napi::Value index(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), device_->info().index);
  }
  Napi::Value nativeDevice(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), device_->nativeDeviceHandle());
  }
  Napi::Value nativeQueue(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), device_->nativeQueueHandle());
  }

  // attachResidency(queue: bigint) / detachResidency(queue: bigint): see Device.
  Napi::Value attachResidency(const Napi::CallbackInfo& info) {
    const uint64_t queue = queueArg(info, 0, "attachResidency");
    guarded(info.Env(), info[0], [&] { device_->attachResidency(queue); });
    return info.Env().Undefined();
  }
  Napi::Value detachResidency(const Napi::CallbackInfo& info) {
    const uint64_t queue = queueArg(info, 0, "detachResidency");
    guarded(info.Env(), info[0], [&] { device_->detachResidency(queue); });
    return info.Env().Undefined();
  }
  Napi::Value residencyQueues(const Napi::CallbackInfo& info) {
    const auto& queues = device_->residencyQueues();
    Napi::Array list = Napi::Array::New(info.Env(), queues.size());
    for (size_t i = 0; i < queues.size(); ++i) {
      list.Set(static_cast<uint32_t>(i), Napi::BigInt::New(info.Env(), queues[i]));
    }
    return list;
  }

  // A required queue handle: a bigint in [0, 2^64) (0 is refused by Device, with the reason).
  static uint64_t queueArg(const Napi::CallbackInfo& info, size_t index, const char* operation) {
    Napi::Value value = info[index];
    if (value.IsBigInt()) {
      bool lossless = false;
      const uint64_t handle = value.As<Napi::BigInt>().Uint64Value(&lossless);
      if (lossless) return handle;
    }
    throwInvalid(info.Env(),
                 std::string(operation) +
                     ": queue must be a bigint below 2^64 (an id<MTLCommandQueue> or "
                     "cudaStream_t), got " +
                     describe(value),
                 value);
  }

  // allocBuffer(byteLength, options?: { hazardTracking?: "tracked" | "untracked" }).
  Napi::Value allocBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, Value(), [&]() -> Napi::Value {
      const double byteLength = numberArg(info, 0, "byteLength");
      const HazardTracking tracking = hazardTrackingArg(info, 1);
      return wrapNativeBuffer(env, device_->allocBuffer(byteLength, tracking));
    });
  }

  // The allocation options: undefined, or an object with only `hazardTracking`, which is
  // undefined (tracked), "tracked" or "untracked". Anything else is INVALID_ARGUMENT.
  static HazardTracking hazardTrackingArg(const Napi::CallbackInfo& info, size_t index) {
    Napi::Env env = info.Env();
    Napi::Value options = info[index];
    if (options.IsUndefined()) return HazardTracking::Tracked;
    if (!options.IsObject() || options.IsArray() || options.IsFunction()) {
      throwInvalid(env, "allocBuffer: options must be an object, got " + describe(options), options);
    }
    Napi::Object object = options.As<Napi::Object>();
    Napi::Array keys = object.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      Napi::Value key = keys.Get(i);
      if (!key.IsString() || key.As<Napi::String>().Utf8Value() != "hazardTracking") {
        throwInvalid(env,
                     "allocBuffer: unknown option " + describe(key) + "; known: hazardTracking",
                     key);
      }
    }
    Napi::Value mode = object.Get("hazardTracking");
    if (mode.IsUndefined()) return HazardTracking::Tracked;
    if (mode.IsString()) {
      const std::string name = mode.As<Napi::String>().Utf8Value();
      if (name == "tracked") return HazardTracking::Tracked;
      if (name == "untracked") return HazardTracking::Untracked;
    }
    throwInvalid(env,
                 "allocBuffer: hazardTracking must be \"tracked\" or \"untracked\", got " +
                     describe(mode),
                 mode);
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
      return wrapNativeResidencySet(env, device_->newResidencySet(label, capacity));
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

}  // namespace

Napi::Function defineNativeDeviceClass(Napi::Env env) { return DeviceWrap::defineClass(env); }

Napi::Object wrapNativeDevice(Napi::Env env, std::shared_ptr<BackendDevice> backend) {
  return constructNatively(env, addonData(env).deviceClass, &backend);
}

}  // namespace mlx
