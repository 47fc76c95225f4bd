// Metal backend: macOS (CMake adds this file under if(APPLE)), and Linux against the fake Metal
// runtime of test/fake-metal (MLX_METAL_FAKE), where CI runs it. A thin shim: Metal calls and
// nothing else. Argument checks, membership, counts and lifetimes are in the shared C++
// that the host backend runs in tests on every platform.
//
// Compiled with ARC: a retained id<MTLBuffer> travels in Allocation::handle
// (__bridge_retained) and is released in release() (__bridge_transfer).
#if !defined(__APPLE__) && !defined(MLX_METAL_FAKE)
#error "metal_backend.mm is for macOS builds (or the fake Metal runtime of test/fake-metal)"
#endif

#include <Availability.h>
#import <Foundation/Foundation.h>
#import <Metal/Metal.h>

#include <algorithm>
#include <atomic>
#include <cstring>
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

// Residency sets attached to one device's queue (the Node thread creates and destroys them).
using AttachedSetCount = std::shared_ptr<std::atomic<int>>;

#if MLX_METAL_RESIDENCY_SDK
// addResidencySet: "You can add up to 32 different residency sets to a command queue."
constexpr int kMaxResidencySetsPerQueue = 32;

std::string describe(NSError* error) {
  if (error == nil) return "no error description";
  return std::string(error.localizedDescription.UTF8String ?: "unknown error");
}

class API_AVAILABLE(macos(15.0)) MetalResidencySet final : public BackendResidencySet {
 public:
  MetalResidencySet(id<MTLDevice> device, id<MTLCommandQueue> queue, AttachedSetCount attached,
                    const std::string& label, uint64_t initialCapacity)
      : queue_(queue), attached_(std::move(attached)) {
    {
      ScopedAutoreleasePool pool;
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
      // Attached to the device's queue: command buffers from it see the set's allocations.
      [queue_ addResidencySet:set_];
      attached_->fetch_add(1);
    }
  }

  ~MetalResidencySet() override {
    @autoreleasepool {
      [queue_ removeResidencySet:set_];
    }
    attached_->fetch_sub(1);
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

  id<MTLCommandQueue> queue_;
  AttachedSetCount attached_;
  id<MTLResidencySet> set_;
};
#endif

class MetalDevice final : public BackendDevice {
 public:
  MetalDevice(id<MTLDevice> device, id<MTLCommandQueue> queue) : device_(device), queue_(queue) {
    info_.name = std::string(device.name.UTF8String ?: "Metal device");
    info_.maxBufferLength = device.maxBufferLength;
    info_.hasUnifiedMemory = device.hasUnifiedMemory;
    info_.recommendedMaxWorkingSetSize = device.recommendedMaxWorkingSetSize;
    info_.residencyUnsupportedReason = residencyUnavailableReason(device);
    info_.residencySupported = info_.residencyUnsupportedReason.empty();
  }

  BackendKind kind() const override { return BackendKind::Metal; }
  const DeviceInfo& info() const override { return info_; }

  Allocation allocate(uint64_t byteLength) override {
    {
      ScopedAutoreleasePool pool;
      id<MTLBuffer> buffer = [device_ newBufferWithLength:static_cast<NSUInteger>(byteLength)
                                                  options:MTLResourceStorageModeShared];
      if (buffer == nil) {
        throw NativeError::allocation(byteLength, "newBufferWithLength:" +
                                                      std::to_string(byteLength) +
                                                      " options:StorageModeShared returned nil");
      }
      // Zero-filled without writing a page: newBufferWithLength:options: "creates a buffer
      // the method clears with zero values" (fresh pages stay untouched until used).
      Allocation allocation;
      allocation.contents = buffer.contents;
      allocation.byteLength = byteLength;
      allocation.handle = (__bridge_retained void*)buffer;
      return allocation;
    }
  }

  void release(const Allocation& allocation) noexcept override {
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
      if (attachedSets_->load() >= kMaxResidencySetsPerQueue) {
        throw NativeError(ErrorCode::Residency,
                          "cannot create residency set \"" + label + "\": the device's command queue " +
                              "already holds " + std::to_string(kMaxResidencySetsPerQueue) +
                              " residency sets, Metal's limit per queue; destroy one first",
                          ErrorValue::of(label));
      }
      return std::make_unique<MetalResidencySet>(device_, queue_, attachedSets_, label,
                                                 initialCapacity);
    }
#endif
    (void)initialCapacity;
    // Unreachable through Device, which checks residencySupported first.
    throw NativeError(ErrorCode::Residency, info_.residencyUnsupportedReason, ErrorValue::of(label));
  }

  // An empty command buffer on the device's queue: the queue runs in order, so it completes
  // after every command buffer committed before it. completion_fence.cpp does the rest.
  bool enqueueFence(uint64_t stream, const std::shared_ptr<FenceSignal>& signal) override {
    checkDefaultStream(stream, "metal");
    {
      ScopedAutoreleasePool pool;
      id<MTLCommandBuffer> commandBuffer = [queue_ commandBuffer];
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

 private:
  id<MTLDevice> device_;
  id<MTLCommandQueue> queue_;
  AttachedSetCount attachedSets_ = std::make_shared<std::atomic<int>>(0);
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

std::shared_ptr<BackendDevice> openMetalBackend() {
  {
    ScopedAutoreleasePool pool;
    NSArray<id<MTLDevice>>* devices = allDevices();
    if (devices.count == 0) {
      throw NativeError(ErrorCode::DeviceNotFound, "MTLCopyAllDevices found no device",
                        ErrorValue::of(std::string("metal")));
    }
    id<MTLDevice> device = [devices objectAtIndex:0];
    id<MTLCommandQueue> queue = [device newCommandQueue];
    if (queue == nil) {
      throw NativeError(ErrorCode::DeviceNotFound, "newCommandQueue returned nil",
                        ErrorValue::of(std::string("metal")));
    }
    return std::make_shared<MetalDevice>(device, queue);
  }
}

}  // namespace mlx
