// The small interface every backend implements. Everything above it (argument checks,
// lifetimes, residency bookkeeping, the N-API binding) is written once and shared, so the
// Metal and CUDA files stay thin shims over code that the host backend exercises in tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlx {

enum class BackendKind { Metal, Host, Cuda };

const char* backendName(BackendKind kind);

// Static facts about an opened device, read once at open time.
struct DeviceInfo {
  uint32_t index = 0;  // the CUDA ordinal, the position in MTLCopyAllDevices, 0 for the host
  std::string name;
  uint64_t maxBufferLength = 0;
  bool hasUnifiedMemory = false;
  uint64_t recommendedMaxWorkingSetSize = 0;
  bool residencySupported = false;
  std::string residencyUnsupportedReason;  // empty when residencySupported
};

// Whether the GPU orders work over an allocation for its user (Metal's MTLHazardTrackingMode).
// Metal tracks hazards per MTLBuffer by default; untracked, ordering is the caller's job
// (fences, events, one queue). The other backends have no hazard tracking: they accept either
// and ignore it.
enum class HazardTracking { Tracked, Untracked };

// One native allocation as a backend made it.
struct Allocation {
  void* contents = nullptr;  // CPU-visible address handed to JavaScript
  void* handle = nullptr;    // backend object (a retained id<MTLBuffer>), or nullptr
  uint64_t byteLength = 0;
  // What GPU code addresses: MTLBuffer.gpuAddress (0 where the OS lacks it), the managed
  // device pointer (CUDA), the host pointer (host).
  uint64_t gpuAddress = 0;

  // What an addon turns into its native type (interop.h): the id<MTLBuffer> where the backend
  // has a buffer object, else the memory's address (a CUDA device pointer, a host pointer).
  uint64_t nativeHandle() const {
    return reinterpret_cast<uintptr_t>(handle != nullptr ? handle : contents);
  }
};

// The backend half of a residency set: native calls only. Membership, counts and argument
// checks live in ResidencyTracker, which calls these after validating.
class BackendResidencySet {
 public:
  virtual ~BackendResidencySet() = default;
  virtual void addAllocation(const Allocation& allocation) = 0;
  // Must not throw: also called while a buffer is being freed.
  virtual void removeAllocation(const Allocation& allocation) noexcept = 0;
  virtual void removeAllAllocations() noexcept = 0;
  // `added`: the members added since the last commit (Metal's set tracks its own changes).
  virtual void commit(const std::vector<Allocation>& added) = 0;
  virtual void requestResidency(const std::vector<Allocation>& members) = 0;
  virtual void endResidency(const std::vector<Allocation>& members) noexcept = 0;
};

// The backend half of a completion fence: fired exactly once, from any thread, when the GPU
// work a fence waits for has completed (ok) or failed (not ok; message and errorName say why).
// completion_fence.cpp turns it into a settled JavaScript promise; backends never see N-API.
struct FenceResult {
  bool ok = true;
  std::string message;    // failures only
  std::string errorName;  // failures only: the native error's name (cudaGetErrorName, ...)

  static FenceResult success() { return {}; }
  static FenceResult failure(std::string message, std::string errorName) {
    FenceResult result;
    result.ok = false;
    result.message = std::move(message);
    result.errorName = std::move(errorName);
    return result;
  }
};

class FenceSignal {
 public:
  virtual ~FenceSignal() = default;
  // Thread-safe and non-blocking; only the first call counts. Never calls back into the backend.
  virtual void complete(FenceResult result) noexcept = 0;
};

class BackendDevice {
 public:
  virtual ~BackendDevice() = default;
  virtual BackendKind kind() const = 0;
  virtual const DeviceInfo& info() const = 0;
  // Zero-filled, CPU-visible memory of exactly byteLength bytes (already validated), with
  // `tracking` where the backend tracks hazards (Metal). Throws NativeError(BufferAllocation).
  virtual Allocation allocate(uint64_t byteLength, HazardTracking tracking) = 0;
  // Frees memory allocate() returned; never throws.
  virtual void freeAllocation(const Allocation& allocation) noexcept = 0;
  // Only called when info().residencySupported. Throws NativeError(Residency) on failure.
  virtual std::unique_ptr<BackendResidencySet> newResidencySet(const std::string& label,
                                                               uint64_t initialCapacity) = 0;
  // A completion fence for the work submitted to `stream` (a native queue or stream handle;
  // 0 = the backend's default) before this call. Returns false when there is nothing
  // asynchronous to wait for (the host): the fence is complete now and `signal` is unused.
  // Otherwise returns true and arranges for signal->complete() to be called once, from any
  // thread. Throws NativeError: InvalidArgument for a stream the backend cannot use,
  // DeviceNotFound when the native fence cannot be enqueued.
  virtual bool enqueueFence(uint64_t stream, const std::shared_ptr<FenceSignal>& signal) = 0;

  // Handles an addon uses (interop.h): metal: the id<MTLDevice> and the device's
  // id<MTLCommandQueue>; cuda: the ordinal and 0 (the legacy default stream); host: 0, 0.
  virtual uint64_t nativeDeviceHandle() const { return 0; }
  virtual uint64_t nativeQueueHandle() const { return 0; }

  // Makes this device's residency sets (present and future) reach the work of a user's queue
  // (`queue` already checked nonzero and not attached). Metal: addResidencySet: on it; Throws
  // NativeError: InvalidArgument for a queue of another device, Residency past Metal's limit of
  // sets per queue. Backends without queues record nothing more than Device does.
  virtual void attachResidency(uint64_t queue) { (void)queue; }
  // Undoes attachResidency(queue) (`queue` checked attached).
  virtual void detachResidency(uint64_t queue) noexcept { (void)queue; }
};

// Whether a backend was compiled in and whether it can open a device right now.
struct BackendProbe {
  explicit BackendProbe(BackendKind backend) : kind(backend) {}
  BackendKind kind;
  bool built = false;
  bool available = false;
  std::string reason;  // why not available; empty when available
};

// Registry over the backends compiled into this build (backend_registry.cpp).
std::vector<BackendProbe> probeAllBackends();
BackendProbe probeBackend(BackendKind kind);
BackendKind defaultBackend();
// Every device of a built and available backend, by index (empty otherwise). Opens nothing.
std::vector<DeviceInfo> describeBackendDevices(BackendKind kind);
// Throws UnsupportedBackend (not compiled in), DeviceNotFound (compiled in, unusable, or no
// device at `index`).
std::shared_ptr<BackendDevice> openBackendDevice(BackendKind kind, uint32_t index = 0);
bool parseBackendName(const std::string& name, BackendKind* out);

// Test hook (host backend): delayMs >= 0 makes host fences complete from another thread after
// that many milliseconds, failing with `failWith` as the error name unless it is empty;
// delayMs < 0 restores immediate host fences.
void setHostFenceSimulation(int64_t delayMs, const std::string& failWith);

// Per-backend entry points, each defined in its own file when that backend is built.
// describe*Devices list what open*Backend(index) accepts, in index order.
BackendProbe probeHostBackend();
std::vector<DeviceInfo> describeHostDevices();
std::shared_ptr<BackendDevice> openHostBackend();
#if defined(MLX_HAVE_METAL)
BackendProbe probeMetalBackend();
std::vector<DeviceInfo> describeMetalDevices();
std::shared_ptr<BackendDevice> openMetalBackend(uint32_t index);
#endif
#if defined(MLX_HAVE_CUDA)
BackendProbe probeCudaBackend();
std::vector<DeviceInfo> describeCudaDevices();
std::shared_ptr<BackendDevice> openCudaBackend(uint32_t index);
#endif

}  // namespace mlx
