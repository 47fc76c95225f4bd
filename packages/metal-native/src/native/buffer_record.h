// The native record of one buffer: who owns the memory and whether it is already gone.
//
// Shared (std::shared_ptr) between the JavaScript buffer object and the finalizer of the
// external ArrayBuffer handed out by contents(). Detaching an ArrayBuffer does not cancel
// its finalizer, so the finalizer must not free memory itself: it only drops its share.
// Memory goes back to the backend exactly once: on an explicit free(), or when the last
// share is dropped (the garbage-collection safety net).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend.h"

namespace mlx {

class ResidencyTracker;

/** Native buffers allocated and not yet freed in this process. */
struct LiveBuffers {
  uint64_t count;
  uint64_t bytes;
};

class BufferRecord {
 public:
  BufferRecord(std::shared_ptr<BackendDevice> backend, Allocation allocation, uint64_t deviceId);
  ~BufferRecord();
  BufferRecord(const BufferRecord&) = delete;
  BufferRecord& operator=(const BufferRecord&) = delete;

  uint64_t deviceId() const { return deviceId_; }
  uint64_t byteLength() const { return allocation_.byteLength; }
  // The contents address is kept after free() so callers can still identify the buffer.
  uint64_t address() const { return address_; }
  bool freed() const { return backend_ == nullptr; }
  static LiveBuffers live();
  const Allocation& allocation() const { return allocation_; }

  // Throws DISPOSED naming the operation when the memory is gone.
  void checkAlive(const char* operation) const;

  // Leaves every residency set, then returns the memory to the backend. Idempotent.
  void free() noexcept;

  void copyOut(uint64_t offset, uint64_t length, void* destination) const;
  void copyIn(uint64_t offset, const void* source, uint64_t length);

  // Membership bookkeeping, driven by ResidencyTracker only.
  void noteJoined(const std::shared_ptr<ResidencyTracker>& set);
  void noteLeft(const ResidencyTracker* set) noexcept;

 private:
  std::shared_ptr<BackendDevice> backend_;  // null once freed; keeps the device alive until then
  Allocation allocation_;
  uint64_t deviceId_;
  uint64_t address_;
  std::vector<std::weak_ptr<ResidencyTracker>> memberOf_;
};

}  // namespace mlx
