// An opened device as JavaScript sees it: a unique id, the backend, and the checks that
// guard allocation and residency-set creation. Buffers and sets keep the backend alive
// through their own shared_ptr, so destroying a device with live buffers is memory-safe:
// the device stops handing out new objects, and the backend goes when the last one does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

  // byteLength arrives as a JavaScript number; it is validated here. `tracking`: see
  // HazardTracking (only Metal acts on it).
  std::shared_ptr<BufferRecord> allocBuffer(double byteLength,
                                            HazardTracking tracking = HazardTracking::Tracked);
  // Throws RESIDENCY when the device has no residency support (with the reason).
  std::shared_ptr<ResidencyTracker> newResidencySet(const std::string& label,
                                                    double initialCapacity);
  // See BackendDevice::enqueueFence. Throws DISPOSED on a destroyed device.
  bool enqueueFence(uint64_t stream, const std::shared_ptr<FenceSignal>& signal);

  // See BackendDevice::nativeDeviceHandle/nativeQueueHandle; readable after destroy().
  uint64_t nativeDeviceHandle() const { return nativeDevice_; }
  uint64_t nativeQueueHandle() const { return nativeQueue_; }

  // The user's queues (streams) this device's residency sets are attached to, in attach order.
  // attachResidency: INVALID_ARGUMENT for 0, a queue already attached, or one the backend
  // refuses; RESIDENCY past Metal's limit; DISPOSED on a destroyed device. Each failure leaves
  // the list as it was. detachResidency: INVALID_ARGUMENT for a queue not attached.
  void attachResidency(uint64_t queue);
  void detachResidency(uint64_t queue);
  const std::vector<uint64_t>& residencyQueues() const { return residencyQueues_; }

  // Detaches every user queue, then lets the backend go (when its buffers and sets do).
  void destroy() noexcept;

 private:
  void checkAlive(const char* operation) const;

  uint64_t id_;
  BackendKind kind_;
  DeviceInfo info_;  // copied so it stays readable after destroy()
  std::shared_ptr<BackendDevice> backend_;
  uint64_t nativeDevice_;
  uint64_t nativeQueue_;
  std::vector<uint64_t> residencyQueues_;
};

// Default initial capacity of a residency set when none is given.
constexpr uint64_t kDefaultResidencySetCapacity = 64;

}  // namespace mlx
