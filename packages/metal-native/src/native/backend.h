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
  std::string name;
  uint64_t maxBufferLength = 0;
  bool hasUnifiedMemory = false;
  uint64_t recommendedMaxWorkingSetSize = 0;
  bool residencySupported = false;
  std::string residencyUnsupportedReason;  // empty when residencySupported
};

// One native allocation as a backend made it.
struct Allocation {
  void* contents = nullptr;  // CPU-visible address handed to JavaScript
  void* handle = nullptr;    // backend object (a retained id<MTLBuffer>), or nullptr
  uint64_t byteLength = 0;
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
  // Zero-filled, CPU-visible memory of exactly byteLength bytes (already validated).
  // Throws NativeError(BufferAllocation) on failure.
  virtual Allocation allocate(uint64_t byteLength) = 0;
  virtual void release(const Allocation& allocation) noexcept = 0;
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
// Throws UnsupportedBackend (not compiled in) or DeviceNotFound (compiled in, unusable).
std::shared_ptr<BackendDevice> openBackendDevice(BackendKind kind);
bool parseBackendName(const std::string& name, BackendKind* out);

// Test hook (host backend): delayMs >= 0 makes host fences complete from another thread after
// that many milliseconds, failing with `failWith` as the error name unless it is empty;
// delayMs < 0 restores immediate host fences.
void setHostFenceSimulation(int64_t delayMs, const std::string& failWith);

// Per-backend entry points, each defined in its own file when that backend is built.
BackendProbe probeHostBackend();
std::shared_ptr<BackendDevice> openHostBackend();
#if defined(MLX_HAVE_METAL)
BackendProbe probeMetalBackend();
std::shared_ptr<BackendDevice> openMetalBackend();
#endif
#if defined(MLX_HAVE_CUDA)
BackendProbe probeCudaBackend();
std::shared_ptr<BackendDevice> openCudaBackend();
#endif

}  // namespace mlx
