#include "device.h"

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
      backend_(std::move(backend)) {}

void Device::checkAlive(const char* operation) const {
  if (destroyed()) {
    throw NativeError(ErrorCode::Disposed, std::string("cannot ") + operation + ": device " +
                                               std::to_string(id_) + " (" + info_.name +
                                               ") was destroyed");
  }
}

std::shared_ptr<BufferRecord> Device::allocBuffer(double byteLength) {
  checkAlive("allocBuffer");
  const uint64_t length = checkByteLength(byteLength, info_.maxBufferLength);
  if (consumeAllocationFault()) {
    throw NativeError::allocation(length, "injected allocation fault: allocBuffer(" +
                                              std::to_string(length) + ") failed on purpose");
  }
  Allocation allocation = backend_->allocate(length);
  try {
    return std::make_shared<BufferRecord>(backend_, allocation, id_);
  } catch (...) {
    backend_->release(allocation);
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
