#include "device.h"

#include <algorithm>
#include <atomic>

#include "allocation_faults.h"
#include "argument_checks.h"
#include "buffer_record.h"
#include "errors.h"
#include "residency_tracker.h"

namespace mlx {

namespace {
std::atomic<uint64_t> nextDeviceId{1};
}  // namespace

Device::Device(std::shared_ptr<BackendDevice> backend)
    : id_(nextDeviceId++),
      kind_(backend->kind()),
      info_(backend->info()),
      backend_(std::move(backend)),
      nativeDevice_(backend_->nativeDeviceHandle()),
      nativeQueue_(backend_->nativeQueueHandle()) {}

void Device::checkAlive(const char* operation) const {
  if (destroyed()) {
    throw NativeError(ErrorCode::Disposed, std::string("cannot ") + operation + ": device " +
                                               std::to_string(id_) + " (" + info_.name +
                                               ") was destroyed");
  }
}

std::shared_ptr<BufferRecord> Device::allocBuffer(double byteLength, HazardTracking tracking) {
  checkAlive("allocBuffer");
  const uint64_t length = checkByteLength(byteLength, info_.maxBufferLength);
  if (consumeAllocationFault()) {
    throw NativeError::allocation(length, "injected allocation fault: allocBuffer(" +
                                              std::to_string(length) + ") failed on purpose");
  }
  Allocation allocation = backend_->allocate(length, tracking);
  try {
    return std::make_shared<BufferRecord>(backend_, allocation, id_);
  } catch (...) {
    backend_->freeAllocation(allocation);
    throw;
  }
}

std::shared_ptr<ResidencyTracker> Device::newResidencySet(const std::string& label,
                                                          double initialCapacity) {
  checkAlive("newResidencySet");
  const uint64_t capacity = checkNonNegativeInteger(initialCapacity, "initialCapacity");
  if (!info_.residencySupported) {
    throw NativeError(ErrorCode::Residency,
                      "device " + std::to_string(id_) + " (" + info_.name +
                          ") has no residency sets: " + info_.residencyUnsupportedReason,
                      ErrorValue::of(std::string(backendName(kind_))));
  }
  auto native = backend_->newResidencySet(label, capacity);
  return std::make_shared<ResidencyTracker>(backend_, std::move(native), id_, label);
}

bool Device::enqueueFence(uint64_t stream, const std::shared_ptr<FenceSignal>& signal) {
  checkAlive("fence");
  return backend_->enqueueFence(stream, signal);
}

}  // namespace mlx

namespace mlx {

namespace {
uint64_t checkQueueHandle(uint64_t queue, const char* operation) {
  if (queue == 0) {
    throw NativeError(ErrorCode::InvalidArgument,
                      std::string(operation) +
                          ": queue must be a native queue or stream handle, got 0n (a user's "
                          "id<MTLCommandQueue> or cudaStream_t is required here)",
                      ErrorValue::none());
  }
  return queue;
}
}  // namespace

void Device::attachResidency(uint64_t queue) {
  checkAlive("attachResidency");
  checkQueueHandle(queue, "attachResidency");
  if (std::find(residencyQueues_.begin(), residencyQueues_.end(), queue) !=
      residencyQueues_.end()) {
    throw NativeError(ErrorCode::InvalidArgument,
                      "attachResidency: queue " + std::to_string(queue) +
                          "n is already attached to device " + std::to_string(id_),
                      ErrorValue::none());
  }
  residencyQueues_.reserve(residencyQueues_.size() + 1);  // so push_back cannot throw below
  backend_->attachResidency(queue);
  residencyQueues_.push_back(queue);
}

void Device::detachResidency(uint64_t queue) {
  checkAlive("detachResidency");
  checkQueueHandle(queue, "detachResidency");
  auto it = std::find(residencyQueues_.begin(), residencyQueues_.end(), queue);
  if (it == residencyQueues_.end()) {
    throw NativeError(ErrorCode::InvalidArgument,
                      "detachResidency: queue " + std::to_string(queue) +
                          "n is not attached to device " + std::to_string(id_),
                      ErrorValue::none());
  }
  backend_->detachResidency(queue);
  residencyQueues_.erase(it);
}

void Device::destroy() noexcept {
  if (backend_ != nullptr) {
    for (uint64_t queue : residencyQueues_) backend_->detachResidency(queue);
  }
  residencyQueues_.clear();
  backend_.reset();
}

}  // namespace mlx
