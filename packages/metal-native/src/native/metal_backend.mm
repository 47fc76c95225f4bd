// Metal backend: macOS (CMake adds this file under if(APPLE)), and Linux against the fake Metal
// runtime of test/fake-metal (MLX_METAL_FAKE), where CI runs it. A thin shim: Metal calls and
// nothing else. Argument checks, membership, counts and lifetimes are in the shared C++
// that the host backend runs in tests on every platform.
//
// Compiled with ARC: a retained id<MTLBuffer> travels in Allocation::handle
// (__bridge_retained) and is released in freeAllocation() (__bridge_transfer).
#if !defined(__APPLE__) && !defined(MLX_METAL_FAKE)
#error "metal_backend.mm is for macOS builds (or the fake Metal runtime of test/fake-metal)"
#endif

#include <Availability.h>
#import <Foundation/Foundation.h>
#import <Metal/Metal.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <vector>
#include <memory>
#include <string>

#include "argument_checks.h"
#include "backend.h"
#include "errors.h"

// MTLResidencySet exists in the macOS 15 SDK and later. Checked here at compile time and
// with @available at run time, so an older SDK or an older macOS opens with residency off.
#if defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
#define MLX_METAL_RESIDENCY_SDK 1
#else
#define MLX_METAL_RESIDENCY_SDK 0
#endif

// The Objective-C runtime's pool entry points (the ones @autoreleasepool compiles to).
extern "C" void* objc_autoreleasePoolPush(void);
extern "C" void objc_autoreleasePoolPop(void* pool);

namespace mlx {

namespace {

// An autorelease pool popped when the scope ends, exceptions included: ARC does not pop an
// @autoreleasepool that an exception leaves, so every pool here that may throw is one of these.
class ScopedAutoreleasePool {
 public:
  ScopedAutoreleasePool() : pool_(objc_autoreleasePoolPush()) {}
  ~ScopedAutoreleasePool() { objc_autoreleasePoolPop(pool_); }
  ScopedAutoreleasePool(const ScopedAutoreleasePool&) = delete;
  ScopedAutoreleasePool& operator=(const ScopedAutoreleasePool&) = delete;

 private:
  void* pool_;
};

// Every Metal device, enumerated once per process and kept for it. MTLCreateSystemDefaultDevice
// is never called: on a Mac with two GPUs each call switches the system to the discrete one.
// Position 0 is the device opened, as in MLX.
NSArray<id<MTLDevice>>* allDevices() {
  static NSArray<id<MTLDevice>>* const devices = MTLCopyAllDevices();
  return devices;
}

// Empty when residency sets can be used; otherwise why not. MLX checks the same family.
std::string residencyUnavailableReason(id<MTLDevice> device) {
#if MLX_METAL_RESIDENCY_SDK
  if (@available(macOS 15, *)) {
    if (![device supportsFamily:MTLGPUFamilyMetal3]) {
      return "this GPU is not in MTLGPUFamilyMetal3, which residency sets need";
    }
    return "";
  }
  NSOperatingSystemVersion version = [NSProcessInfo processInfo].operatingSystemVersion;
  return "MTLResidencySet needs macOS 15 or later; this is macOS " +
         std::to_string(version.majorVersion) + "." + std::to_string(version.minorVersion);
#else
  (void)device;
  return "built against a macOS SDK older than 15, which has no MTLResidencySet "
         "(needs macOS 15 or later)";
#endif
}

// MTLCommandBufferError codes by name, as the CUDA backend names its errors.
const char* commandBufferErrorName(NSInteger code) {
  switch (code) {
    case MTLCommandBufferErrorNone:
      return "MTLCommandBufferErrorNone";
    case MTLCommandBufferErrorInternal:
      return "MTLCommandBufferErrorInternal";
    case MTLCommandBufferErrorTimeout:
      return "MTLCommandBufferErrorTimeout";
    case MTLCommandBufferErrorPageFault:
      return "MTLCommandBufferErrorPageFault";
    case MTLCommandBufferErrorAccessRevoked:
      return "MTLCommandBufferErrorAccessRevoked";
    case MTLCommandBufferErrorNotPermitted:
      return "MTLCommandBufferErrorNotPermitted";
    case MTLCommandBufferErrorOutOfMemory:
      return "MTLCommandBufferErrorOutOfMemory";
    case MTLCommandBufferErrorInvalidResource:
      return "MTLCommandBufferErrorInvalidResource";
    case MTLCommandBufferErrorMemoryless:
      return "MTLCommandBufferErrorMemoryless";
    case MTLCommandBufferErrorDeviceRemoved:
      return "MTLCommandBufferErrorDeviceRemoved";
    case MTLCommandBufferErrorStackOverflow:
      return "MTLCommandBufferErrorStackOverflow";
    default:
      return "MTLCommandBufferErrorUnknown";
  }
}

// A fence waiting for its command buffer. Completion handlers run on a thread of Metal's, where
// an allocation failure would terminate the process: the failure's strings are reserved here,
// on the Node thread, and the handler only copies into that capacity (truncating).
struct PendingFence {
  static constexpr size_t kTextCapacity = 256;

  explicit PendingFence(std::shared_ptr<FenceSignal> s) : signal(std::move(s)) {
    failure.ok = false;
    failure.message.reserve(kTextCapacity);
    failure.errorName.reserve(kTextCapacity);
  }

  // Allocates nothing: every append fits the reserved capacity.
  void fail(const char* name, const char* description) noexcept {
    append(failure.errorName, name);
    append(failure.message, "the fence command buffer failed with ");
    append(failure.message, name);
    if (description != nullptr) {
      append(failure.message, ": ");
      append(failure.message, description);
    }
    signal->complete(std::move(failure));
  }

  std::shared_ptr<FenceSignal> signal;
  FenceResult failure;

 private:
  static void append(std::string& text, const char* part) noexcept {
    const size_t room = text.capacity() - text.size();
    text.append(part, std::min(std::strlen(part), room));
  }
};

#if MLX_METAL_RESIDENCY_SDK
// addResidencySet: "You can add up to 32 different residency sets to a command queue."
constexpr int kMaxResidencySetsPerQueue = 32;
#endif

uintptr_t queueKey(id<MTLCommandQueue> queue) { return reinterpret_cast<uintptr_t>((__bridge void*)queue); }

// One device's queues and residency sets: its own queue, the user's queues given to
// attachResidency, and the live sets. Every set is attached to every queue here. Shared by the
// device and its sets (a set can outlive the device's JavaScript object).
struct QueueAttachments {
  id<MTLCommandQueue> ownQueue;
  std::vector<id<MTLCommandQueue>> userQueues;
  std::vector<id> sets;  // id<MTLResidencySet>, typed loosely so older SDKs compile this

  std::vector<id<MTLCommandQueue>> allQueues() const {
    std::vector<id<MTLCommandQueue>> queues{ownQueue};
    queues.insert(queues.end(), userQueues.begin(), userQueues.end());
    return queues;
  }
};

#if MLX_METAL_RESIDENCY_SDK
// Which residency sets of this process are attached to which command queue, so that neither
// the device's own queue nor a user's queue passes Metal's limit of sets per queue. Several
// devices (opened twice, or one queue given to two) share one table. Node thread only.
std::map<uintptr_t, int>& setsPerQueue() {
  static std::map<uintptr_t, int> counts;
  return counts;
}

// Throws RESIDENCY unless `added` more sets fit on `queue`.
void checkRoomOnQueue(id<MTLCommandQueue> queue, size_t added, const std::string& what) {
  const int attached = setsPerQueue()[queueKey(queue)];
  if (attached + static_cast<int>(added) > kMaxResidencySetsPerQueue) {
    throw NativeError(ErrorCode::Residency,
                      what + ": command queue " + std::to_string(queueKey(queue)) +
                          "n already holds " + std::to_string(attached) +
                          " residency sets of this process and would need " +
                          std::to_string(added) + " more; Metal allows " +
                          std::to_string(kMaxResidencySetsPerQueue) +
                          " per queue (destroy a set or detach another device first)",
                      ErrorValue::none());
  }
}

API_AVAILABLE(macos(15.0)) void addSetToQueue(id<MTLCommandQueue> queue, id set) {
  [queue addResidencySet:(id<MTLResidencySet>)set];
  setsPerQueue()[queueKey(queue)]++;
}

API_AVAILABLE(macos(15.0)) void removeSetFromQueue(id<MTLCommandQueue> queue, id set) noexcept {
  @autoreleasepool {
    [queue removeResidencySet:(id<MTLResidencySet>)set];
  }
  auto& counts = setsPerQueue();
  auto it = counts.find(queueKey(queue));
  if (it != counts.end() && --it->second <= 0) counts.erase(it);
}

std::string describe(NSError* error) {
  if (error == nil) return "no error description";
  return std::string(error.localizedDescription.UTF8String ?: "unknown error");
}

class API_AVAILABLE(macos(15.0)) MetalResidencySet final : public BackendResidencySet {
 public:
  MetalResidencySet(id<MTLDevice> device, std::shared_ptr<QueueAttachments> attachments,
                    const std::string& label, uint64_t initialCapacity)
      : attachments_(std::move(attachments)) {
    {
      ScopedAutoreleasePool pool;
      const auto queues = attachments_->allQueues();
      for (id<MTLCommandQueue> queue : queues) {
        checkRoomOnQueue(queue, 1, "cannot create residency set \"" + label + "\"");
      }
      MTLResidencySetDescriptor* descriptor = [[MTLResidencySetDescriptor alloc] init];
      descriptor.label = [NSString stringWithUTF8String:label.c_str()];
      descriptor.initialCapacity = static_cast<NSUInteger>(initialCapacity);
      NSError* error = nil;
      set_ = [device newResidencySetWithDescriptor:descriptor error:&error];
      if (set_ == nil) {
        throw NativeError(ErrorCode::Residency,
                          "newResidencySetWithDescriptor failed: " + describe(error),
                          ErrorValue::of(label));
      }
      // Attached to the device's queue and every user queue given to attachResidency:
      // command buffers from them see the set's allocations.
      for (id<MTLCommandQueue> queue : queues) addSetToQueue(queue, set_);
      attachments_->sets.push_back(set_);
    }
  }

  ~MetalResidencySet() override {
    auto& sets = attachments_->sets;
    sets.erase(std::remove(sets.begin(), sets.end(), (id)set_), sets.end());
    for (id<MTLCommandQueue> queue : attachments_->allQueues()) removeSetFromQueue(queue, set_);
  }

  void addAllocation(const Allocation& allocation) override {
    [set_ addAllocation:bufferOf(allocation)];
  }
  void removeAllocation(const Allocation& allocation) noexcept override {
    [set_ removeAllocation:bufferOf(allocation)];
  }
  void removeAllAllocations() noexcept override { [set_ removeAllAllocations]; }
  void commit(const std::vector<Allocation>&) override { [set_ commit]; }
  void requestResidency(const std::vector<Allocation>&) override { [set_ requestResidency]; }
  void endResidency(const std::vector<Allocation>&) noexcept override { [set_ endResidency]; }

 private:
  static id<MTLBuffer> bufferOf(const Allocation& allocation) {
    return (__bridge id<MTLBuffer>)allocation.handle;
  }

  std::shared_ptr<QueueAttachments> attachments_;
  id<MTLResidencySet> set_;
};
#endif

// A user's queue handle (an id<MTLCommandQueue> as a bigint, never 0 here), checked to belong
// to `device`. The handle is trusted to be a live queue: Metal offers no way to tell a dangling
// pointer from an object (interop.h says so).
id<MTLCommandQueue> userQueue(uint64_t handle, id<MTLDevice> device, const char* operation) {
  id<MTLCommandQueue> queue = (__bridge id<MTLCommandQueue>)reinterpret_cast<void*>(
      static_cast<uintptr_t>(handle));
  if (queue.device != device) {
    throw NativeError(ErrorCode::InvalidArgument,
                      std::string(operation) + ": queue " + std::to_string(handle) +
                          "n belongs to another MTLDevice than this one",
                      ErrorValue::none());
  }
  return queue;
}

class MetalDevice final : public BackendDevice {
 public:
  MetalDevice(id<MTLDevice> device, id<MTLCommandQueue> queue, uint32_t index)
      : device_(device), queue_(queue), attachments_(std::make_shared<QueueAttachments>()) {
    attachments_->ownQueue = queue;
    info_ = describeDevice(device, index);
  }

  static DeviceInfo describeDevice(id<MTLDevice> device, uint32_t index) {
    DeviceInfo info_;
    info_.index = index;
    info_.name = std::string(device.name.UTF8String ?: "Metal device");
    info_.maxBufferLength = device.maxBufferLength;
    info_.hasUnifiedMemory = device.hasUnifiedMemory;
    info_.recommendedMaxWorkingSetSize = device.recommendedMaxWorkingSetSize;
    info_.residencyUnsupportedReason = residencyUnavailableReason(device);
    info_.residencySupported = info_.residencyUnsupportedReason.empty();
    return info_;
  }

  BackendKind kind() const override { return BackendKind::Metal; }
  const DeviceInfo& info() const override { return info_; }

  // Untracked: Metal no longer orders encoders that use this buffer (all of its ranges are one
  // resource to hazard tracking); the caller orders them with fences, events or one queue.
  Allocation allocate(uint64_t byteLength, HazardTracking tracking) override {
    {
      ScopedAutoreleasePool pool;
      const bool untracked = tracking == HazardTracking::Untracked;
      const MTLResourceOptions options =
          untracked ? (MTLResourceStorageModeShared | MTLResourceHazardTrackingModeUntracked)
                    : MTLResourceStorageModeShared;
      id<MTLBuffer> buffer = [device_ newBufferWithLength:static_cast<NSUInteger>(byteLength)
                                                  options:options];
      if (buffer == nil) {
        throw NativeError::allocation(
            byteLength, "newBufferWithLength:" + std::to_string(byteLength) +
                            (untracked ? " options:StorageModeShared|HazardTrackingModeUntracked"
                                       : " options:StorageModeShared") +
                            " returned nil");
      }
      // Zero-filled without writing a page: newBufferWithLength:options: "creates a buffer
      // the method clears with zero values" (fresh pages stay untouched until used).
      Allocation allocation;
      allocation.contents = buffer.contents;
      allocation.byteLength = byteLength;
      allocation.handle = (__bridge_retained void*)buffer;
      if (@available(macOS 13, *)) allocation.gpuAddress = buffer.gpuAddress;
      return allocation;
    }
  }

  void freeAllocation(const Allocation& allocation) noexcept override {
    if (allocation.handle == nullptr) return;
    @autoreleasepool {
      // Takes back the reference allocate() handed out; ARC releases it at the end of scope.
      (void)(__bridge_transfer id<MTLBuffer>)allocation.handle;
    }
  }

  std::unique_ptr<BackendResidencySet> newResidencySet(const std::string& label,
                                                       uint64_t initialCapacity) override {
#if MLX_METAL_RESIDENCY_SDK
    if (@available(macOS 15, *)) {
      return std::make_unique<MetalResidencySet>(device_, attachments_, label, initialCapacity);
    }
#endif
    (void)initialCapacity;
    // Unreachable through Device, which checks residencySupported first.
    throw NativeError(ErrorCode::Residency, info_.residencyUnsupportedReason, ErrorValue::of(label));
  }

  // An empty command buffer on the queue (0: the device's own; else a user's
  // id<MTLCommandQueue> of this device): a queue runs in order, so it completes after every
  // command buffer committed to it before. completion_fence.cpp does the rest.
  bool enqueueFence(uint64_t stream, const std::shared_ptr<FenceSignal>& signal) override {
    {
      ScopedAutoreleasePool pool;
      id<MTLCommandQueue> queue = stream == 0 ? queue_ : userQueue(stream, device_, "fence");
      id<MTLCommandBuffer> commandBuffer = [queue commandBuffer];
      if (commandBuffer == nil) {
        throw NativeError(ErrorCode::DeviceNotFound, "commandBuffer returned nil",
                          ErrorValue::of(std::string("metal")));
      }
      commandBuffer.label = @"mlx-native fence";
      // Made here, on the Node thread; the block (copied by addCompletedHandler:) shares it.
      auto pending = std::make_shared<PendingFence>(signal);
      [commandBuffer addCompletedHandler:^(id<MTLCommandBuffer> completed) {
        if (completed.status != MTLCommandBufferStatusError) {
          pending->signal->complete(FenceResult::success());
          return;
        }
        NSError* error = completed.error;
        pending->fail(error == nil ? "MTLCommandBufferStatusError" : commandBufferErrorName(error.code),
                      error == nil ? nullptr : error.localizedDescription.UTF8String);
      }];
      [commandBuffer commit];
    }
    return true;
  }

  uint64_t nativeDeviceHandle() const override {
    return reinterpret_cast<uintptr_t>((__bridge void*)device_);
  }
  uint64_t nativeQueueHandle() const override { return queueKey(queue_); }

  // Every live set of this device goes onto the user's queue, and so will every later one.
  void attachResidency(uint64_t handle) override {
    ScopedAutoreleasePool pool;
    id<MTLCommandQueue> queue = userQueue(handle, device_, "attachResidency");
    if (queue == queue_) {
      throw NativeError(ErrorCode::InvalidArgument,
                        "attachResidency: queue " + std::to_string(handle) +
                            "n is the device's own queue, which holds its residency sets already",
                        ErrorValue::none());
    }
#if MLX_METAL_RESIDENCY_SDK
    if (@available(macOS 15, *)) {
      checkRoomOnQueue(queue, attachments_->sets.size(), "attachResidency");
      for (id set : attachments_->sets) addSetToQueue(queue, set);
    }
#endif
    attachments_->userQueues.push_back(queue);
  }

  void detachResidency(uint64_t handle) noexcept override {
    auto& queues = attachments_->userQueues;
    for (auto it = queues.begin(); it != queues.end(); ++it) {
      if (queueKey(*it) != handle) continue;
#if MLX_METAL_RESIDENCY_SDK
      if (@available(macOS 15, *)) {
        for (id set : attachments_->sets) removeSetFromQueue(*it, set);
      }
#endif
      queues.erase(it);
      return;
    }
  }

 private:
  id<MTLDevice> device_;
  id<MTLCommandQueue> queue_;
  std::shared_ptr<QueueAttachments> attachments_;
  DeviceInfo info_;
};

}  // namespace

BackendProbe probeMetalBackend() {
  BackendProbe probe{BackendKind::Metal};
  probe.built = true;
  probe.available = allDevices().count > 0;
  if (!probe.available) {
    probe.reason = "MTLCopyAllDevices found no device (no Metal GPU in this session)";
  }
  return probe;
}

std::vector<DeviceInfo> describeMetalDevices() {
  ScopedAutoreleasePool pool;
  NSArray<id<MTLDevice>>* devices = allDevices();
  std::vector<DeviceInfo> out;
  for (NSUInteger i = 0; i < devices.count; ++i) {
    out.push_back(MetalDevice::describeDevice([devices objectAtIndex:i], static_cast<uint32_t>(i)));
  }
  return out;
}

std::shared_ptr<BackendDevice> openMetalBackend(uint32_t index) {
  {
    ScopedAutoreleasePool pool;
    NSArray<id<MTLDevice>>* devices = allDevices();
    if (index >= devices.count) {
      throw NativeError(ErrorCode::DeviceNotFound,
                        "MTLCopyAllDevices has no device at index " + std::to_string(index),
                        ErrorValue::of(static_cast<double>(index)));
    }
    id<MTLDevice> device = [devices objectAtIndex:index];
    id<MTLCommandQueue> queue = [device newCommandQueue];
    if (queue == nil) {
      throw NativeError(ErrorCode::DeviceNotFound, "newCommandQueue returned nil",
                        ErrorValue::of(std::string("metal")));
    }
    return std::make_shared<MetalDevice>(device, queue, index);
  }
}

}  // namespace mlx
