#include "native_buffer_class.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

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

  // leaseView(byteLength, byteOffset = 0): a view of [byteOffset, byteOffset + byteLength) for
  // one lease, its own external ArrayBuffer, so that ending the lease (endLeaseView, or
  // destroy) detaches it and a view kept past the lease reads as length 0. A buffer hands out
  // any number at once (one per live range of an arena slab); each is detached on its own.
  Napi::Value leaseView(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t length = 0;
    uint64_t offset = 0;
    guarded(env, Value(), [&] {
      record_->checkAlive("leaseView");
      length = checkNonNegativeInteger(numberArg(info, 0, "leaseView: byteLength"),
                                       "leaseView: byteLength");
      if (length == 0) {
        // A view of nothing protects nothing, and an empty ArrayBuffer has no address to own.
        throw NativeError(ErrorCode::InvalidArgument,
                          "leaseView: byteLength must be at least 1, got 0", ErrorValue::of(0.0));
      }
      if (!info[1].IsUndefined()) {
        offset = checkNonNegativeInteger(numberArg(info, 1, "leaseView: byteOffset"),
                                         "leaseView: byteOffset");
      }
      checkRange(offset, length, record_->byteLength());
    });
    if (addonData(env).externalBuffersRefused) throwExternalRefused(env);
    auto* share = new std::shared_ptr<BufferRecord>(record_);
    napi_value arrayBuffer = nullptr;
    const napi_status status = napi_create_external_arraybuffer(
        env, static_cast<uint8_t*>(record_->allocation().contents) + offset, length, dropShare,
        share, &arrayBuffer);
    if (status != napi_ok) {
      delete share;
      if (status == napi_no_external_buffers_allowed) throwExternalRefused(env);
      NAPI_THROW_IF_FAILED(env, status, Napi::Value());
    }
    Napi::ArrayBuffer buffer(env, arrayBuffer);
    rememberLeaseView(buffer);
    return buffer;
  }

  // endLeaseView(view): detaches that lease view, so every typed array over it reads as length
  // 0; a view already detached is a no-op. endLeaseView(): detaches every lease view.
  Napi::Value endLeaseView(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value view = info[0];
    if (view.IsUndefined()) {
      detachLeaseViews();
      return env.Undefined();
    }
    if (!view.IsArrayBuffer()) {
      throwInvalid(env, "endLeaseView: view must be an ArrayBuffer from leaseView, got " +
                            describe(view),
                   view);
    }
    Napi::ArrayBuffer buffer = view.As<Napi::ArrayBuffer>();
    if (buffer.IsDetached()) return env.Undefined();
    // Every view of a destroyed buffer is detached: an attached one was never this buffer's.
    guarded(env, Value(), [&] { record_->checkAlive("endLeaseView"); });
    if (!isLeaseViewOfThis(buffer)) {
      throwInvalid(env,
                   "endLeaseView: the ArrayBuffer (" + std::to_string(buffer.ByteLength()) +
                       " bytes) is not a lease view of this buffer",
                   view);
    }
    buffer.Detach();
    return env.Undefined();
  }

  // An attached lease view of this buffer: its bytes lie inside this buffer's memory (live
  // buffers never overlap) and it is not the contents() view. O(1), so ending one lease of a
  // slab costs the same however many others are live.
  bool isLeaseViewOfThis(Napi::ArrayBuffer buffer) {
    if (record_->freed()) return false;  // destroy() detached all of them
    if (!contents_.IsEmpty() && buffer.StrictEquals(contents_.Value())) return false;
    const auto start = reinterpret_cast<uintptr_t>(record_->allocation().contents);
    const auto data = reinterpret_cast<uintptr_t>(buffer.Data());
    return data >= start && data - start < record_->byteLength() &&
           buffer.ByteLength() <= record_->byteLength() - (data - start);
  }

  // Weak references: a view nobody holds is gone and needs no detaching. Dead and detached
  // entries are dropped once the list doubles, so it stays within twice the live views.
  void rememberLeaseView(Napi::ArrayBuffer buffer) {
    if (leaseViews_.size() >= compactAt_) {
      std::vector<Napi::Reference<Napi::ArrayBuffer>> kept;
      for (auto& ref : leaseViews_) {
        Napi::ArrayBuffer view = ref.Value();
        if (!view.IsEmpty() && !view.IsDetached()) kept.push_back(std::move(ref));
      }
      leaseViews_ = std::move(kept);
      compactAt_ = std::max<size_t>(kMinCompactAt, 2 * leaseViews_.size());
    }
    leaseViews_.push_back(Napi::Weak(buffer));
  }

  void detachLeaseViews() {
    for (auto& ref : leaseViews_) {
      Napi::ArrayBuffer view = ref.Value();
      if (!view.IsEmpty() && !view.IsDetached()) view.Detach();
    }
    leaseViews_.clear();
    compactAt_ = kMinCompactAt;
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
    detachLeaseViews();
    record_->free();
    return env.Undefined();
  }

  std::shared_ptr<BufferRecord> record_;
  Napi::Reference<Napi::ArrayBuffer> contents_;
  static constexpr size_t kMinCompactAt = 16;
  std::vector<Napi::Reference<Napi::ArrayBuffer>> leaseViews_;
  size_t compactAt_ = kMinCompactAt;
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
