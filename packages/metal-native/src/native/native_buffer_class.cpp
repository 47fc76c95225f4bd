#include "native_buffer_class.h"

#include <cstring>
#include <string>

#include "argument_checks.h"
#include "errors.h"
#include "js_bridge.h"

namespace mlx {
namespace {

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
                           InstanceMethod<&BufferWrap::leaseView>("leaseView"),
                           InstanceMethod<&BufferWrap::endLeaseView>("endLeaseView"),
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
    // The memory is not reported to V8 (no AdjustExternalMemory): it is freed by explicit
    // calls, and reporting it would make V8 force full collections on large allocations.
    // The FinalizationRegistry safety net still runs with ordinary collections.
  }


  const std::shared_ptr<BufferRecord>& record() const { return record_; }

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

  // A view of the first `byteLength` bytes for one lease: its own external ArrayBuffer, so that
  // ending the lease (endLeaseView, or destroy) detaches it and a view kept past the lease
  // reads as length 0. The lease view before it, if still attached, is detached first.
  Napi::Value leaseView(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t length = 0;
    guarded(env, Value(), [&] {
      record_->checkAlive("leaseView");
      length = checkNonNegativeInteger(numberArg(info, 0, "byteLength"), "byteLength");
      checkRange(0, length, record_->byteLength());
    });
    if (addonData(env).externalBuffersRefused) throwExternalRefused(env);
    detachLeaseView();
    auto* share = new std::shared_ptr<BufferRecord>(record_);
    napi_value arrayBuffer = nullptr;
    const napi_status status = napi_create_external_arraybuffer(
        env, record_->allocation().contents, length, dropShare, share, &arrayBuffer);
    if (status != napi_ok) {
      delete share;
      if (status == napi_no_external_buffers_allowed) throwExternalRefused(env);
      NAPI_THROW_IF_FAILED(env, status, Napi::Value());
    }
    Napi::ArrayBuffer buffer(env, arrayBuffer);
    leaseView_ = Napi::Persistent(buffer);
    return buffer;
  }

  // Ends the lease view: detached, so every typed array over it reads as length 0.
  Napi::Value endLeaseView(const Napi::CallbackInfo& info) {
    detachLeaseView();
    return info.Env().Undefined();
  }

  void detachLeaseView() {
    if (leaseView_.IsEmpty()) return;
    leaseView_.Value().Detach();
    leaseView_.Reset();
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
    detachLeaseView();
    record_->free();
    return env.Undefined();
  }

  std::shared_ptr<BufferRecord> record_;
  Napi::Reference<Napi::ArrayBuffer> contents_;
  Napi::Reference<Napi::ArrayBuffer> leaseView_;
};

}  // namespace

Napi::Function defineNativeBufferClass(Napi::Env env) { return BufferWrap::defineClass(env); }

Napi::Object wrapNativeBuffer(Napi::Env env, std::shared_ptr<BufferRecord> record) {
  return constructNatively(env, addonData(env).bufferClass, &record);
}

const std::shared_ptr<BufferRecord>& nativeBufferArg(const Napi::CallbackInfo& info,
                                                     size_t index) {
  Napi::Value value = info[index];
  if (!value.IsObject() ||
      !value.As<Napi::Object>().InstanceOf(addonData(info.Env()).bufferClass.Value())) {
    throwInvalid(info.Env(), "expected a NativeBuffer, got " + describe(value), value);
  }
  return BufferWrap::Unwrap(value.As<Napi::Object>())->record();
}

}  // namespace mlx
