#include "native_residency_set_class.h"

#include <string>

#include "buffer_record.h"
#include "errors.h"
#include "js_bridge.h"
#include "native_buffer_class.h"

namespace mlx {
namespace {

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
    const std::shared_ptr<BufferRecord>& record = nativeBufferArg(info, 0);
    return guarded(env, info[0], [&] { return action(record); });
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
    const std::shared_ptr<BufferRecord>& record = nativeBufferArg(info, 0);
    return Napi::Boolean::New(info.Env(), tracker_->contains(record.get()));
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

}  // namespace

Napi::Function defineNativeResidencySetClass(Napi::Env env) {
  return ResidencySetWrap::defineClass(env);
}

Napi::Object wrapNativeResidencySet(Napi::Env env, std::shared_ptr<ResidencyTracker> tracker) {
  return constructNatively(env, addonData(env).residencySetClass, &tracker);
}

}  // namespace mlx
