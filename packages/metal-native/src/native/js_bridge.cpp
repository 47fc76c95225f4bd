#include "js_bridge.h"

#include "argument_checks.h"

namespace mlx {

Napi::Error makeError(Napi::Env env, const char* code, const std::string& message,
                      Napi::Value value) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("value", value.IsEmpty() ? env.Undefined() : value);
  return error;
}

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

double numberArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) {
    throwInvalid(info.Env(),
                 std::string(name) + " must be a number, got " + describe(value), value);
  }
  return value.As<Napi::Number>().DoubleValue();
}

const char* const kConstructToken = "mlx-native-construct";

bool constructedNatively(const Napi::CallbackInfo& info) {
  return info.Length() == 2 && info[0].IsExternal() &&
         info[0].As<Napi::External<char>>().Data() == kConstructToken;
}

}  // namespace mlx
