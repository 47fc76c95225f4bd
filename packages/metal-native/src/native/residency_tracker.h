// Residency-set bookkeeping shared by every backend: membership, commit counts, argument
// checks and the order of native calls. Backends only supply the native calls
// (BackendResidencySet), so the host backend's tests cover the Metal and CUDA logic too.
//
// Buffers leave their sets automatically when freed (BufferRecord::free), so a set never
// holds a handle to released memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend.h"

namespace mlx {

class BufferRecord;

class ResidencyTracker : public std::enable_shared_from_this<ResidencyTracker> {
 public:
  ResidencyTracker(std::shared_ptr<BackendDevice> backend,
                   std::unique_ptr<BackendResidencySet> native, uint64_t deviceId,
                   std::string label);
  ~ResidencyTracker();
  ResidencyTracker(const ResidencyTracker&) = delete;
  ResidencyTracker& operator=(const ResidencyTracker&) = delete;

  uint64_t deviceId() const { return deviceId_; }
  const std::string& label() const { return label_; }
  bool destroyed() const { return native_ == nullptr; }
  uint64_t allocationCount() const { return members_.size(); }
  uint64_t commitCount() const { return commitCount_; }
  bool residencyRequested() const { return residencyRequested_; }

  // Adding a member twice, or removing a non-member, changes nothing (as in Metal).
  void add(const std::shared_ptr<BufferRecord>& buffer);
  void remove(const std::shared_ptr<BufferRecord>& buffer);
  void removeAll();
  void commit();
  void requestResidency();
  void endResidency();
  bool contains(const BufferRecord* buffer) const;

  // Ends residency, drops every member and releases the native set. Idempotent.
  void destroy() noexcept;

  // Called by a buffer being freed. Never throws.
  void forget(BufferRecord* buffer) noexcept;

 private:
  void checkAlive(const char* operation) const;
  void checkBuffer(const std::shared_ptr<BufferRecord>& buffer, const char* operation) const;
  std::vector<Allocation> memberAllocations() const;

  std::shared_ptr<BackendDevice> backend_;  // the native set may use the device's queue
  std::unique_ptr<BackendResidencySet> native_;
  uint64_t deviceId_;
  std::string label_;
  std::unordered_map<BufferRecord*, Allocation> members_;
  // Members added since the last commit: the only ones a commit hands to the backend.
  std::unordered_map<BufferRecord*, Allocation> uncommitted_;
  uint64_t commitCount_ = 0;
  bool residencyRequested_ = false;
};

}  // namespace mlx
