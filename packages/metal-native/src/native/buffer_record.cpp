#include "buffer_record.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include "argument_checks.h"
#include "errors.h"
#include "residency_tracker.h"

namespace mlx {

namespace {

// Buffers allocated and not yet freed, process-wide: what leak tests count.
std::atomic<uint64_t> liveCount{0};
std::atomic<uint64_t> liveBytes{0};

std::string hexAddress(uint64_t address) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(address));
  return text;
}

}  // namespace

BufferRecord::BufferRecord(std::shared_ptr<BackendDevice> backend, Allocation allocation,
                           uint64_t deviceId)
    : backend_(std::move(backend)),
      allocation_(allocation),
      deviceId_(deviceId),
      address_(reinterpret_cast<uintptr_t>(allocation.contents)) {
  liveCount.fetch_add(1, std::memory_order_relaxed);
  liveBytes.fetch_add(allocation.byteLength, std::memory_order_relaxed);
}

LiveBuffers BufferRecord::live() {
  return {liveCount.load(std::memory_order_relaxed), liveBytes.load(std::memory_order_relaxed)};
}

BufferRecord::~BufferRecord() { free(); }

void BufferRecord::checkAlive(const char* operation) const {
  if (freed()) {
    throw NativeError(ErrorCode::Disposed,
                      std::string("cannot ") + operation + ": buffer of " +
                          std::to_string(allocation_.byteLength) + " bytes at " +
                          hexAddress(address_) + " was destroyed");
  }
}

void BufferRecord::free() noexcept {
  if (freed()) return;
  // Leave residency sets first: no set may keep a handle to memory about to be released.
  std::vector<std::weak_ptr<ResidencyTracker>> sets;
  sets.swap(memberOf_);
  for (auto& weak : sets) {
    if (auto set = weak.lock()) set->forget(this);
  }
  std::shared_ptr<BackendDevice> backend;
  backend.swap(backend_);
  backend->freeAllocation(allocation_);
  liveCount.fetch_sub(1, std::memory_order_relaxed);
  liveBytes.fetch_sub(allocation_.byteLength, std::memory_order_relaxed);
  allocation_.contents = nullptr;
  allocation_.handle = nullptr;
}

void BufferRecord::copyOut(uint64_t offset, uint64_t length, void* destination) const {
  checkAlive("read");
  checkRange(offset, length, allocation_.byteLength);
  if (length > 0) {
    std::memcpy(destination, static_cast<const uint8_t*>(allocation_.contents) + offset, length);
  }
}

void BufferRecord::copyIn(uint64_t offset, const void* source, uint64_t length) {
  checkAlive("write");
  checkRange(offset, length, allocation_.byteLength);
  // memmove: the source may be a view of this very buffer.
  if (length > 0) std::memmove(static_cast<uint8_t*>(allocation_.contents) + offset, source, length);
}

void BufferRecord::noteJoined(const std::shared_ptr<ResidencyTracker>& set) {
  memberOf_.push_back(set);
}

void BufferRecord::noteLeft(const ResidencyTracker* set) noexcept {
  // Also prunes sets that are already gone (a set mid-destruction no longer locks).
  memberOf_.erase(std::remove_if(memberOf_.begin(), memberOf_.end(),
                                 [set](const std::weak_ptr<ResidencyTracker>& weak) {
                                   auto locked = weak.lock();
                                   return !locked || locked.get() == set;
                                 }),
                  memberOf_.end());
}

}  // namespace mlx
