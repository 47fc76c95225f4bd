#include "saxpy.h"

namespace example {

namespace {

constexpr unsigned kThreads = 256;

__device__ __forceinline__ uint64_t globalTimerNanos() {
  uint64_t now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  return now;
}

__global__ void saxpy(const float* x, float* y, float a, uint32_t n, uint64_t spinNanos) {
  if (spinNanos != 0) {
    const uint64_t start = globalTimerNanos();
    while (globalTimerNanos() - start < spinNanos) __nanosleep(1000);
  }
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

}  // namespace

cudaError_t launchSaxpy(const float* x, float* y, float a, uint32_t n, uint64_t spinNanos,
                        cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  saxpy<<<(n + kThreads - 1) / kThreads, kThreads, 0, stream>>>(x, y, a, n, spinNanos);
  return cudaGetLastError();
}

}  // namespace example
