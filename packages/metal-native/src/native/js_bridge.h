// What every JavaScript class of the addon shares: NativeError to JavaScript error conversion,
// argument reading, and the per-environment data (class constructors, the construct token).
#pragma once

#include <napi.h>

#include <new>
#include <string>

#include "errors.h"

namespace mlx {

// A JavaScript Error with `code` and `value`.
Napi::Error makeError(Napi::Env env, const char* code, const std::string& message,
                      Napi::Value value);

// `subject` stands in for the offending value when the native error carries none
// (a destroyed object, a buffer of another device).
Napi::Error toJsError(Napi::Env env, const NativeError& error, Napi::Value subject);

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
std::string describe(Napi::Value value);

[[noreturn]] void throwInvalid(Napi::Env env, const std::string& message, Napi::Value value);

// A number argument for the shared checks; anything that is not a number is refused here.
double numberArg(const Napi::CallbackInfo& info, size_t index, const char* name);

struct AddonData {
  Napi::FunctionReference deviceClass;
  Napi::FunctionReference bufferClass;
  Napi::FunctionReference residencySetClass;
  // Test hook: behave as if external ArrayBuffers were refused (as under a V8 sandbox).
  bool externalBuffersRefused = false;
};

inline AddonData& addonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// Instances are made natively only; `new` from JavaScript lacks this token.
extern const char* const kConstructToken;

bool constructedNatively(const Napi::CallbackInfo& info);

template <typename T>
T* externalPayload(const Napi::CallbackInfo& info) {
  return info[1].As<Napi::External<T>>().Data();
}

// A new instance of `cls` made natively, carrying `payload` to its constructor.
template <typename T>
Napi::Object constructNatively(Napi::Env env, Napi::FunctionReference& cls, T* payload) {
  return cls.New({Napi::External<char>::New(env, const_cast<char*>(kConstructToken)),
                  Napi::External<T>::New(env, payload)});
}

}  // namespace mlx
