#include "argument_checks.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "errors.h"

namespace mlx {

std::string formatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char text[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  // Integers up to 1e21 print without an exponent in JavaScript; do the same.
  if (std::floor(value) == value && std::fabs(value) < 1e21) {
    std::snprintf(text, sizeof text, "%.0f", value);
  }
  return text;
}

namespace {

bool isSafeInteger(double value) {
  return std::isfinite(value) && std::floor(value) == value && std::fabs(value) <= kMaxSafeInteger;
}

}  // namespace

uint64_t checkByteLength(double value, uint64_t maxBufferLength) {
  if (!isSafeInteger(value) || value <= 0) {
    throw NativeError(ErrorCode::InvalidArgument,
                      "byteLength must be a positive safe integer, got " + formatNumber(value),
                      ErrorValue::of(value));
  }
  const auto length = static_cast<uint64_t>(value);
  if (length > maxBufferLength) {
    throw NativeError(ErrorCode::InvalidArgument,
                      "byteLength " + formatNumber(value) + " exceeds this device's maxBufferLength " +
                          std::to_string(maxBufferLength),
                      ErrorValue::of(value));
  }
  return length;
}

uint64_t checkNonNegativeInteger(double value, const char* what) {
  if (!isSafeInteger(value) || value < 0) {
    throw NativeError(ErrorCode::InvalidArgument,
                      std::string(what) + " must be a non-negative safe integer, got " +
                          formatNumber(value),
                      ErrorValue::of(value));
  }
  return static_cast<uint64_t>(value);
}

void checkRange(uint64_t offset, uint64_t length, uint64_t byteLength) {
  // Written to avoid overflow: offset <= byteLength is checked before subtracting.
  if (offset > byteLength || length > byteLength - offset) {
    throw NativeError(ErrorCode::InvalidArgument,
                      "range [" + std::to_string(offset) + ", " + std::to_string(offset + length) +
                          ") is outside the buffer of " + std::to_string(byteLength) + " bytes",
                      ErrorValue::of(static_cast<double>(offset + length)));
  }
}

void checkDefaultStream(uint64_t stream, const char* backend) {
  if (stream != 0) {
    throw NativeError(ErrorCode::InvalidArgument,
                      std::string("stream must be 0n or undefined on the ") + backend +
                          " backend (it has no other streams), got " + std::to_string(stream) +
                          "n",
                      ErrorValue::none());
  }
}

}  // namespace mlx
