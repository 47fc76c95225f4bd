// Host backend: page-aligned, zero-filled CPU memory. Runs everywhere, and is what the
// tests run, so it exercises all the shared bookkeeping the GPU backends rely on.
//
// Small buffers come from posix_memalign + memset. Large ones are mapped anonymously: the
// kernel hands out zeroed pages lazily, so a 64 MiB buffer costs no 64 MiB memset (Metal's
// shared-storage buffers behave the same way).
//
// maxBufferLength = min(physical memory, 1 TiB): a single buffer larger than the machine's
// RAM can only be backed by swap, and 1 TiB bounds the number for very large hosts.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>
#include <cstdlib>
#include <cstring>
#include <string>

#include "argument_checks.h"
#include "backend.h"
#include "errors.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace mlx {

namespace {

// At or above this size, map pages directly instead of posix_memalign + memset.
constexpr uint64_t kMapThresholdBytes = 256 * 1024;
constexpr uint64_t kMaxHostBufferLength = uint64_t{1} << 40;

uint64_t pageSize() {
#if defined(_WIN32)
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return info.dwPageSize;
#else
  return static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
#endif
}

uint64_t physicalMemory() {
#if defined(_WIN32)
  MEMORYSTATUSEX status;
  status.dwLength = sizeof status;
  return GlobalMemoryStatusEx(&status) ? status.ullTotalPhys : 0;
#else
  const long pages = sysconf(_SC_PHYS_PAGES);
  return pages > 0 ? static_cast<uint64_t>(pages) * pageSize() : 0;
#endif
}

uint64_t roundUp(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// Membership and commits are all tracked by ResidencyTracker; host memory has nothing
// further to pin or migrate, so the native calls are no-ops.
class HostResidencySet final : public BackendResidencySet {
 public:
  void addAllocation(const Allocation&) override {}
  void removeAllocation(const Allocation&) noexcept override {}
  void removeAllAllocations() noexcept override {}
  void commit(const std::vector<Allocation>&) override {}
  void requestResidency(const std::vector<Allocation>&) override {}
  void endResidency(const std::vector<Allocation>&) noexcept override {}
};

std::mutex fenceSimulationMutex;
int64_t fenceSimulationDelayMs = -1;
std::string fenceSimulationFailure;

class HostDevice final : public BackendDevice {
 public:
  HostDevice() : pageSize_(pageSize()) {
    const uint64_t memory = physicalMemory();
    info_.name = "host (CPU memory, " + std::to_string(pageSize_) + "-byte pages)";
    info_.maxBufferLength = memory > 0 ? std::min(memory, kMaxHostBufferLength)
                                       : kMaxHostBufferLength;
    info_.hasUnifiedMemory = true;
    info_.recommendedMaxWorkingSetSize = info_.maxBufferLength;
    info_.residencySupported = true;
  }

  BackendKind kind() const override { return BackendKind::Host; }
  const DeviceInfo& info() const override { return info_; }

  // Host memory has no hazard tracking: `tracking` changes nothing.
  Allocation allocate(uint64_t byteLength, HazardTracking) override {
    Allocation allocation;
    allocation.byteLength = byteLength;
    allocation.contents = byteLength >= kMapThresholdBytes ? mapPages(byteLength)
                                                           : alignedZeroed(byteLength);
    allocation.gpuAddress = reinterpret_cast<uintptr_t>(allocation.contents);
    return allocation;
  }

  void freeAllocation(const Allocation& allocation) noexcept override {
    if (allocation.contents == nullptr) return;
    if (allocation.byteLength >= kMapThresholdBytes) {
#if defined(_WIN32)
      VirtualFree(allocation.contents, 0, MEM_RELEASE);
#else
      munmap(allocation.contents, roundUp(allocation.byteLength, pageSize_));
#endif
    } else {
#if defined(_WIN32)
      _aligned_free(allocation.contents);
#else
      std::free(allocation.contents);
#endif
    }
  }

  std::unique_ptr<BackendResidencySet> newResidencySet(const std::string&, uint64_t) override {
    return std::make_unique<HostResidencySet>();
  }

  // Host memory is written synchronously: nothing is ever pending (unless a test simulates
  // a GPU's asynchronous completion with setHostFenceSimulation).
  bool enqueueFence(uint64_t stream, const std::shared_ptr<FenceSignal>& signal) override {
    checkDefaultStream(stream, "host");
    int64_t delayMs = -1;
    std::string failWith;
    {
      std::lock_guard<std::mutex> lock(fenceSimulationMutex);
      delayMs = fenceSimulationDelayMs;
      failWith = fenceSimulationFailure;
    }
    if (delayMs < 0) return false;
    std::thread([signal, delayMs, failWith] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
      if (failWith.empty()) {
        signal->complete(FenceResult::success());
      } else {
        signal->complete(FenceResult::failure("simulated host fence failure", failWith));
      }
    }).detach();
    return true;
  }

 private:
  [[noreturn]] void fail(uint64_t byteLength, const char* call, int error) const {
    throw NativeError::allocation(byteLength, std::string("host allocation of ") +
                                                  std::to_string(byteLength) + " bytes failed: " +
                                                  call + ": " + std::strerror(error));
  }

  void* alignedZeroed(uint64_t byteLength) const {
    void* memory = nullptr;
#if defined(_WIN32)
    memory = _aligned_malloc(byteLength, pageSize_);
    if (memory == nullptr) fail(byteLength, "_aligned_malloc", ENOMEM);
#else
    const int error = posix_memalign(&memory, pageSize_, byteLength);
    if (error != 0) fail(byteLength, "posix_memalign", error);
#endif
    std::memset(memory, 0, byteLength);
    return memory;
  }

  void* mapPages(uint64_t byteLength) const {
#if defined(_WIN32)
    void* memory = VirtualAlloc(nullptr, byteLength, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (memory == nullptr) fail(byteLength, "VirtualAlloc", ENOMEM);
    return memory;
#else
    void* memory = mmap(nullptr, roundUp(byteLength, pageSize_), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) fail(byteLength, "mmap", errno);
    return memory;
#endif
  }

  uint64_t pageSize_;
  DeviceInfo info_;
};

}  // namespace

void setHostFenceSimulation(int64_t delayMs, const std::string& failWith) {
  std::lock_guard<std::mutex> lock(fenceSimulationMutex);
  fenceSimulationDelayMs = delayMs;
  fenceSimulationFailure = failWith;
}

BackendProbe probeHostBackend() {
  BackendProbe probe{BackendKind::Host};
  probe.built = true;
  probe.available = true;
  return probe;
}

// One host device, index 0: its description is cheap to make (no memory is touched).
std::vector<DeviceInfo> describeHostDevices() { return {HostDevice().info()}; }

std::shared_ptr<BackendDevice> openHostBackend() { return std::make_shared<HostDevice>(); }

}  // namespace mlx
