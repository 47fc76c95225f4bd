#include "residency_tracker.h"

#include "buffer_record.h"
#include "errors.h"

namespace mlx {

ResidencyTracker::ResidencyTracker(std::shared_ptr<BackendDevice> backend,
                                   std::unique_ptr<BackendResidencySet> native, uint64_t deviceId,
                                   std::string label)
    : backend_(std::move(backend)),
      native_(std::move(native)),
      deviceId_(deviceId),
      label_(std::move(label)) {}

ResidencyTracker::~ResidencyTracker() { destroy(); }

void ResidencyTracker::checkAlive(const char* operation) const {
  if (destroyed()) {
    throw NativeError(ErrorCode::Disposed, std::string("cannot ") + operation +
                                               ": residency set \"" + label_ +
                                               "\" was destroyed");
  }
}

void ResidencyTracker::checkBuffer(const std::shared_ptr<BufferRecord>& buffer,
                                   const char* operation) const {
  buffer->checkAlive(operation);
  if (buffer->deviceId() != deviceId_) {
    // A residency set can only hold allocations of its own device (Metal rejects others).
    throw NativeError(ErrorCode::InvalidArgument,
                      std::string("cannot ") + operation + ": the buffer belongs to device " +
                          std::to_string(buffer->deviceId()) + ", residency set \"" + label_ +
                          "\" to device " + std::to_string(deviceId_));
  }
}

void ResidencyTracker::add(const std::shared_ptr<BufferRecord>& buffer) {
  checkAlive("add to a residency set");
  checkBuffer(buffer, "add to a residency set");
  if (members_.count(buffer.get()) != 0) return;
  native_->addAllocation(buffer->allocation());
  members_.emplace(buffer.get(), buffer->allocation());
  uncommitted_.emplace(buffer.get(), buffer->allocation());
  buffer->noteJoined(shared_from_this());
}

void ResidencyTracker::remove(const std::shared_ptr<BufferRecord>& buffer) {
  checkAlive("remove from a residency set");
  checkBuffer(buffer, "remove from a residency set");
  auto member = members_.find(buffer.get());
  if (member == members_.end()) return;
  native_->removeAllocation(member->second);
  members_.erase(member);
  uncommitted_.erase(buffer.get());
  buffer->noteLeft(this);
}

void ResidencyTracker::removeAll() {
  checkAlive("removeAll");
  native_->removeAllAllocations();
  for (auto& member : members_) member.first->noteLeft(this);
  members_.clear();
  uncommitted_.clear();
}

void ResidencyTracker::commit() {
  checkAlive("commit");
  // Only what was added since the last commit: a commit per fresh buffer must not cost
  // O(members) native calls (CUDA advises and prefetches each allocation it is given).
  std::vector<Allocation> added;
  added.reserve(uncommitted_.size());
  for (const auto& entry : uncommitted_) added.push_back(entry.second);
  native_->commit(added);
  uncommitted_.clear();
  ++commitCount_;
}

void ResidencyTracker::requestResidency() {
  checkAlive("requestResidency");
  native_->requestResidency(memberAllocations());
  residencyRequested_ = true;
}

void ResidencyTracker::endResidency() {
  checkAlive("endResidency");
  native_->endResidency(memberAllocations());
  residencyRequested_ = false;
}

bool ResidencyTracker::contains(const BufferRecord* buffer) const {
  return members_.count(const_cast<BufferRecord*>(buffer)) != 0;
}

void ResidencyTracker::destroy() noexcept {
  if (destroyed()) return;
  if (residencyRequested_) {
    // memberAllocations() allocates; a bad_alloc must not escape a noexcept destroy.
    try {
      native_->endResidency(memberAllocations());
    } catch (...) {
    }
  }
  residencyRequested_ = false;
  native_->removeAllAllocations();
  for (auto& member : members_) member.first->noteLeft(this);
  members_.clear();
  uncommitted_.clear();
  native_.reset();
  backend_.reset();
}

void ResidencyTracker::forget(BufferRecord* buffer) noexcept {
  auto member = members_.find(buffer);
  if (member == members_.end()) return;
  const bool committed = uncommitted_.erase(buffer) == 0;
  if (native_) native_->removeAllocation(member->second);
  members_.erase(member);
  // A committed member stays in the native set (and keeps its memory) until the removal is
  // committed, so a buffer being freed commits it now, as MLX does after an erase. A member
  // only staged needs none. Counted like every other commit.
  if (!committed || !native_) return;
  try {
    native_->commit({});
    ++commitCount_;
  } catch (...) {
    // A failed commit leaves the removal staged: the next commit applies it.
  }
}

std::vector<Allocation> ResidencyTracker::memberAllocations() const {
  std::vector<Allocation> allocations;
  allocations.reserve(members_.size());
  for (const auto& member : members_) allocations.push_back(member.second);
  return allocations;
}

}  // namespace mlx
