// Checks on numbers that arrive from JavaScript as doubles. Shared by every backend so the
// same bad input gives the same error everywhere.
#pragma once

#include <cstdint>
#include <string>

namespace mlx {

// Largest integer a JavaScript number holds exactly (Number.MAX_SAFE_INTEGER).
constexpr double kMaxSafeInteger = 9007199254740991.0;

// Shortest text that reads back as the same double, in JavaScript's spelling
// (NaN, Infinity, -1, 1.5).
std::string formatNumber(double value);

// A buffer length: a positive safe integer no larger than maxBufferLength.
uint64_t checkByteLength(double value, uint64_t maxBufferLength);

// A non-negative safe integer (offsets, read lengths), named in the message as `what`.
uint64_t checkNonNegativeInteger(double value, const char* what);

// offset + length must fit in a buffer of byteLength bytes.
void checkRange(uint64_t offset, uint64_t length, uint64_t byteLength);

// For backends without streams (host, metal's single queue): only 0 (the default) is valid.
void checkDefaultStream(uint64_t stream, const char* backend);

}  // namespace mlx
