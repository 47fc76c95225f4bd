// Error vocabulary shared by every backend and the binding.
//
// Native code throws NativeError; js_bridge.cpp is the only place that turns it into a
// JavaScript Error with `code`, `value` and (for allocation failures) `bytes`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mlx {

// The names are `code` strings of @mlx/errors' ERROR_CODES; test/error-codes.test.ts checks
// that errorCodeName, NATIVE_ERROR_CODES and ERROR_CODES agree.
enum class ErrorCode {
  InvalidArgument,
  BufferAllocation,
  Disposed,
  Residency,
  UnsupportedBackend,
  DeviceNotFound,
};

inline const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::BufferAllocation:
      return "BUFFER_ALLOCATION";
    case ErrorCode::Disposed:
      return "DISPOSED";
    case ErrorCode::Residency:
      return "RESIDENCY";
    case ErrorCode::UnsupportedBackend:
      return "UNSUPPORTED_BACKEND";
    case ErrorCode::DeviceNotFound:
      return "DEVICE_NOT_FOUND";
  }
  return "UNKNOWN";
}

// The offending value, in a form that survives the trip to JavaScript. `None` lets the
// binding substitute the JavaScript object the call was made on (or with).
struct ErrorValue {
  enum class Kind { None, Number, String } kind = Kind::None;
  double number = 0;
  std::string text;

  static ErrorValue none() { return {}; }
  static ErrorValue of(double n) {
    ErrorValue v;
    v.kind = Kind::Number;
    v.number = n;
    return v;
  }
  static ErrorValue of(std::string s) {
    ErrorValue v;
    v.kind = Kind::String;
    v.text = std::move(s);
    return v;
  }
};

class NativeError : public std::runtime_error {
 public:
  NativeError(ErrorCode code, const std::string& message, ErrorValue value = ErrorValue::none())
      : std::runtime_error(message), code_(code), value_(std::move(value)) {}

  // Allocation failures also report the number of bytes asked for.
  static NativeError allocation(uint64_t bytes, const std::string& message) {
    NativeError e(ErrorCode::BufferAllocation, message, ErrorValue::of(static_cast<double>(bytes)));
    e.bytes_ = bytes;
    e.hasBytes_ = true;
    return e;
  }

  ErrorCode code() const { return code_; }
  const ErrorValue& value() const { return value_; }
  bool hasBytes() const { return hasBytes_; }
  uint64_t bytes() const { return bytes_; }

 private:
  ErrorCode code_;
  ErrorValue value_;
  uint64_t bytes_ = 0;
  bool hasBytes_ = false;
};

}  // namespace mlx
