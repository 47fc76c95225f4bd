// CUDA backend: managed memory (cudaMallocManaged), the analogue of Metal's shared storage.
// A residency commit makes the device the preferred location of every member and prefetches
// it there; endResidency hands the preference back to the driver. Every runtime call is
// checked and reported with cudaGetErrorName. All bookkeeping lives in the shared C++.
#include <cuda_runtime_api.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "backend.h"
#include "errors.h"

namespace mlx {

namespace {

std::string describeCudaError(const char* call, cudaError_t status) {
  return std::string(call) + " failed: " + cudaGetErrorName(status) + " (" +
         cudaGetErrorString(status) + ")";
}

void checkCuda(cudaError_t status, const char* call, ErrorCode code) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-less error so the next call starts clean
    throw NativeError(code, describeCudaError(call, status),
                      ErrorValue::of(std::string(cudaGetErrorName(status))));
  }
}

// CUDA 13 takes a cudaMemLocation; earlier toolkits a device ordinal.
cudaError_t adviseDevice(const Allocation& allocation, cudaMemoryAdvise advice, int device) {
#if CUDART_VERSION >= 13000
  cudaMemLocation location{};
  location.type = cudaMemLocationTypeDevice;
  location.id = device;
  return cudaMemAdvise(allocation.contents, allocation.byteLength, advice, location);
#else
  return cudaMemAdvise(allocation.contents, allocation.byteLength, advice, device);
#endif
}

cudaError_t advisePreferredDevice(const Allocation& allocation, int device) {
  return adviseDevice(allocation, cudaMemAdviseSetPreferredLocation, device);
}

cudaError_t unsetPreferredLocation(const Allocation& allocation, int device) {
  return adviseDevice(allocation, cudaMemAdviseUnsetPreferredLocation, device);
}

cudaError_t prefetchToDevice(const Allocation& allocation, int device, cudaStream_t stream) {
#if CUDART_VERSION >= 13000
  cudaMemLocation location{};
  location.type = cudaMemLocationTypeDevice;
  location.id = device;
  return cudaMemPrefetchAsync(allocation.contents, allocation.byteLength, location, 0, stream);
#else
  return cudaMemPrefetchAsync(allocation.contents, allocation.byteLength, device, stream);
#endif
}

class CudaResidencySet final : public BackendResidencySet {
 public:
  explicit CudaResidencySet(int device) : device_(device) {
    checkCuda(cudaSetDevice(device_), "cudaSetDevice", ErrorCode::Residency);
    checkCuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
              "cudaStreamCreateWithFlags", ErrorCode::Residency);
  }
  ~CudaResidencySet() override {
    if (stream_ != nullptr) {
      if (cudaSetDevice(device_) != cudaSuccess) cudaGetLastError();
      cudaStreamSynchronize(stream_);
      cudaStreamDestroy(stream_);
    }
  }

  // Membership takes effect at commit, as with Metal.
  void addAllocation(const Allocation&) override {}

  void removeAllocation(const Allocation& allocation) noexcept override {
    if (cudaSetDevice(device_) != cudaSuccess) cudaGetLastError();
    // Best effort: the buffer may be about to be freed, and a failure here changes nothing
    // the caller could act on.
    if (unsetPreferredLocation(allocation, device_) != cudaSuccess) cudaGetLastError();
  }
  void removeAllAllocations() noexcept override {}

  void commit(const std::vector<Allocation>& added) override {
    checkCuda(cudaSetDevice(device_), "cudaSetDevice", ErrorCode::Residency);
    for (const Allocation& member : added) {
      checkCuda(advisePreferredDevice(member, device_), "cudaMemAdvise(SetPreferredLocation)",
                ErrorCode::Residency);
      checkCuda(prefetchToDevice(member, device_, stream_), "cudaMemPrefetchAsync",
                ErrorCode::Residency);
    }
  }

  void requestResidency(const std::vector<Allocation>& members) override {
    checkCuda(cudaSetDevice(device_), "cudaSetDevice", ErrorCode::Residency);
    for (const Allocation& member : members) {
      checkCuda(prefetchToDevice(member, device_, stream_), "cudaMemPrefetchAsync",
                ErrorCode::Residency);
    }
  }

  void endResidency(const std::vector<Allocation>& members) noexcept override {
    for (const Allocation& member : members) removeAllocation(member);
  }

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
};

// One thread per device that waits for fence events in submission order
// (cudaEventSynchronize on a blocking-sync event: it sleeps, it does not spin) and completes
// their signals. A later fence on a faster stream may complete a little late, never early.
// Unlike cudaLaunchHostFunc, which is not called at all after a sticky error, this reports
// the error, so a failed GPU context rejects the promise instead of leaving it pending.
class FenceWaiter {
 public:
  explicit FenceWaiter(int device) : device_(device) {}
  FenceWaiter(const FenceWaiter&) = delete;
  FenceWaiter& operator=(const FenceWaiter&) = delete;

  // Waits for the fences already queued, then stops the thread.
  ~FenceWaiter() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Takes ownership of `event`, also when it throws (std::bad_alloc, std::system_error).
  void push(cudaEvent_t event, std::shared_ptr<FenceSignal> signal) {
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
      queue_.emplace_back(event, std::move(signal));
    } catch (...) {
      cudaEventDestroy(event);
      throw;
    }
    wake_.notify_one();
  }

 private:
  void run() {
    // The thread's current device, for the runtime calls below.
    const cudaError_t deviceStatus = cudaSetDevice(device_);
    if (deviceStatus != cudaSuccess) cudaGetLastError();
    for (;;) {
      std::pair<cudaEvent_t, std::shared_ptr<FenceSignal>> item;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued is done
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      const cudaError_t status = cudaEventSynchronize(item.first);
      if (status != cudaSuccess) cudaGetLastError();
      if (cudaEventDestroy(item.first) != cudaSuccess) cudaGetLastError();
      if (status == cudaSuccess) {
        item.second->complete(FenceResult::success());
      } else {
        item.second->complete(FenceResult::failure(describeCudaError("cudaEventSynchronize", status),
                                                   cudaGetErrorName(status)));
      }
    }
  }

  int device_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<cudaEvent_t, std::shared_ptr<FenceSignal>>> queue_;
  bool stopping_ = false;
  std::thread thread_;  // started by the first fence
};

bool isSpecialStream(uint64_t handle) {
  return handle == 0 || handle == reinterpret_cast<uintptr_t>(cudaStreamLegacy) ||
         handle == reinterpret_cast<uintptr_t>(cudaStreamPerThread);
}

// The facts of CUDA device `device` (an ordinal), read without making a context current
// beyond what cudaGetDeviceProperties needs. `managed` reports cudaDevAttrManagedMemory.
DeviceInfo describeCudaDevice(int device, bool* managed) {
  cudaDeviceProp properties{};
  checkCuda(cudaGetDeviceProperties(&properties, device), "cudaGetDeviceProperties",
            ErrorCode::DeviceNotFound);
  int managedMemory = 0;
  int concurrentManaged = 0;
  checkCuda(cudaDeviceGetAttribute(&managedMemory, cudaDevAttrManagedMemory, device),
            "cudaDeviceGetAttribute(ManagedMemory)", ErrorCode::DeviceNotFound);
  checkCuda(
      cudaDeviceGetAttribute(&concurrentManaged, cudaDevAttrConcurrentManagedAccess, device),
      "cudaDeviceGetAttribute(ConcurrentManagedAccess)", ErrorCode::DeviceNotFound);
  if (managed != nullptr) *managed = managedMemory != 0;
  DeviceInfo info;
  info.index = static_cast<uint32_t>(device);
  info.name = properties.name;
  info.maxBufferLength = properties.totalGlobalMem;
  info.hasUnifiedMemory = properties.integrated != 0;
  info.recommendedMaxWorkingSetSize = properties.totalGlobalMem;
  // Prefetching managed memory needs concurrent managed access (not on Windows or
  // pre-Pascal GPUs).
  info.residencySupported = concurrentManaged != 0;
  if (!info.residencySupported) {
    info.residencyUnsupportedReason =
        "the device lacks concurrent managed access, needed for cudaMemPrefetchAsync";
  }
  return info;
}

// One CUDA device (an ordinal) with its own primary context. Every runtime call is preceded by
// cudaSetDevice(device_): the calling thread's current device may be any other ordinal.
class CudaDevice final : public BackendDevice {
 public:
  explicit CudaDevice(int device) : device_(device) {
    checkCuda(cudaSetDevice(device_), "cudaSetDevice", ErrorCode::DeviceNotFound);
    bool managed = false;
    info_ = describeCudaDevice(device_, &managed);
    if (!managed) {
      throw NativeError(ErrorCode::DeviceNotFound,
                        "CUDA device " + info_.name + " does not support managed memory",
                        ErrorValue::of(std::string("cuda")));
    }
    checkCuda(cudaStreamCreateWithFlags(&zeroStream_, cudaStreamNonBlocking),
              "cudaStreamCreateWithFlags", ErrorCode::DeviceNotFound);
  }

  ~CudaDevice() override {
    waiter_.reset();  // waits for pending fences while the device is still whole
    if (cudaSetDevice(device_) != cudaSuccess) cudaGetLastError();
    if (zeroStream_ != nullptr) cudaStreamDestroy(zeroStream_);
  }

  BackendKind kind() const override { return BackendKind::Cuda; }
  const DeviceInfo& info() const override { return info_; }

  // CUDA orders work by streams, not by allocation: `tracking` changes nothing.
  Allocation allocate(uint64_t byteLength, HazardTracking) override {
    Allocation allocation;
    allocation.byteLength = byteLength;
    cudaError_t status = cudaSetDevice(device_);
    if (status == cudaSuccess) {
      status = cudaMallocManaged(&allocation.contents, byteLength, cudaMemAttachGlobal);
    }
    if (status != cudaSuccess) throwAllocation(byteLength, "cudaMallocManaged", status);
    // Zero on the device, then wait, since the CPU may read the memory right after we
    // return. On our own stream: a device-wide sync would also wait for unrelated kernels.
    status = cudaMemsetAsync(allocation.contents, 0, byteLength, zeroStream_);
    if (status == cudaSuccess) status = cudaStreamSynchronize(zeroStream_);
    if (status != cudaSuccess) {
      cudaFree(allocation.contents);
      throwAllocation(byteLength, "cudaMemset", status);
    }
    allocation.gpuAddress = reinterpret_cast<uintptr_t>(allocation.contents);
    return allocation;
  }

  void freeAllocation(const Allocation& allocation) noexcept override {
    if (allocation.contents == nullptr) return;
    if (cudaSetDevice(device_) != cudaSuccess) cudaGetLastError();
    if (cudaFree(allocation.contents) != cudaSuccess) {
      cudaGetLastError();
    }
  }

  std::unique_ptr<BackendResidencySet> newResidencySet(const std::string&, uint64_t) override {
    return std::make_unique<CudaResidencySet>(device_);
  }

  uint64_t nativeDeviceHandle() const override { return static_cast<uint64_t>(device_); }

  // An event recorded on `stream` (0 = the legacy default stream, which waits for and is
  // waited on by every blocking stream; cudaStreamLegacy, cudaStreamPerThread and any
  // cudaStream_t of this process are accepted), completed by the waiter thread.
  bool enqueueFence(uint64_t handle, const std::shared_ptr<FenceSignal>& signal) override {
    auto stream = reinterpret_cast<cudaStream_t>(static_cast<uintptr_t>(handle));
    checkCuda(cudaSetDevice(device_), "cudaSetDevice", ErrorCode::DeviceNotFound);
    if (!isSpecialStream(handle)) {
      // Best effort: catches destroyed and foreign handles the runtime knows to be invalid.
      unsigned int flags = 0;
      const cudaError_t status = cudaStreamGetFlags(stream, &flags);
      if (status != cudaSuccess) {
        cudaGetLastError();
        throw NativeError(ErrorCode::InvalidArgument,
                          "stream " + std::to_string(handle) +
                              "n is not a usable CUDA stream: " +
                              describeCudaError("cudaStreamGetFlags", status));
      }
    }
    cudaEvent_t event = nullptr;
    checkCuda(cudaEventCreateWithFlags(&event, cudaEventDisableTiming | cudaEventBlockingSync),
              "cudaEventCreateWithFlags", ErrorCode::DeviceNotFound);
    const cudaError_t recorded = cudaEventRecord(event, stream);
    if (recorded != cudaSuccess) {
      cudaEventDestroy(event);
      checkCuda(recorded, "cudaEventRecord", ErrorCode::DeviceNotFound);
    }
    try {
      waiter_->push(event, signal);
    } catch (const std::exception& error) {
      throw NativeError(ErrorCode::DeviceNotFound,
                        std::string("could not start the CUDA fence waiter: ") + error.what());
    }
    return true;
  }

 private:
  [[noreturn]] static void throwAllocation(uint64_t byteLength, const char* call,
                                           cudaError_t status) {
    cudaGetLastError();
    throw NativeError::allocation(byteLength, "CUDA allocation of " + std::to_string(byteLength) +
                                                  " bytes failed: " +
                                                  describeCudaError(call, status));
  }

  int device_;
  cudaStream_t zeroStream_ = nullptr;  // used only to zero new allocations
  DeviceInfo info_;
  std::unique_ptr<FenceWaiter> waiter_ = std::make_unique<FenceWaiter>(device_);
};

}  // namespace

BackendProbe probeCudaBackend() {
  BackendProbe probe{BackendKind::Cuda};
  probe.built = true;
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    probe.reason = describeCudaError("cudaGetDeviceCount", status);
  } else if (count == 0) {
    probe.reason = "cudaGetDeviceCount found no CUDA device";
  } else {
    probe.available = true;
  }
  return probe;
}

std::vector<DeviceInfo> describeCudaDevices() {
  int count = 0;
  checkCuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount", ErrorCode::DeviceNotFound);
  std::vector<DeviceInfo> devices;
  for (int device = 0; device < count; ++device) {
    devices.push_back(describeCudaDevice(device, nullptr));
  }
  return devices;
}

std::shared_ptr<BackendDevice> openCudaBackend(uint32_t index) {
  return std::make_shared<CudaDevice>(static_cast<int>(index));
}

}  // namespace mlx
