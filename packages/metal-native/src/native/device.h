// An opened device as JavaScript sees it: a unique id, the backend, and the checks that
// guard allocation and residency-set creation. Buffers and sets keep the backend alive
// through their own shared_ptr, so destroying a device with live buffers is memory-safe:
// the device stops handing out new objects, and the backend goes when the last one does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend.h"

namespace mlx {

class BufferRecord;
class ResidencyTracker;

class Device {
 public:
  explicit Device(std::shared_ptr<BackendDevice> backend);

  uint64_t id() const { return id_; }
  BackendKind kind() const { return kind_; }
  const DeviceInfo& info() const { return info_; }
  bool destroyed() const { return backend_ == nullptr; }

  // byteLength arrives as a JavaScript number; it is validated here.
  std::shared_ptr<BufferRecord> allocBuffer(double byteLength);
  // Throws RESIDENCY when the device has no residency support (with the reason).
  std::shared_ptr<ResidencyTracker> newResidencySet(const std::string& label,
                                                    double initialCapacity);
  // See BackendDevice::enqueueFence. Throws DISPOSED on a destroyed device.
  bool enqueueFence(uint64_t stream, const std::shared_ptr<FenceSignal>& signal);
  void destroy() noexcept { backend_.reset(); }

 private:
  void checkAlive(const char* operation) const;

  uint64_t id_;
  BackendKind kind_;
  DeviceInfo info_;  // copied so it stays readable after destroy()
  std::shared_ptr<BackendDevice> backend_;
};

// Default initial capacity of a residency set when none is given.
constexpr uint64_t kDefaultResidencySetCapacity = 64;

}  // namespace mlx
