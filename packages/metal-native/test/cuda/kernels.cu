#include "kernels.h"

namespace mlxtest {

namespace {

constexpr unsigned kThreads = 256;

unsigned blocksFor(size_t byteLength, unsigned maxBlocks) {
  const size_t wanted = (byteLength + kThreads - 1) / kThreads;
  return static_cast<unsigned>(wanted < maxBlocks ? wanted : maxBlocks);
}

__device__ __forceinline__ uint64_t globalTimerNanos() {
  uint64_t now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  return now;
}

__device__ __forceinline__ void fillRange(uint8_t* data, size_t byteLength, uint8_t value) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < byteLength;
       i += stride) {
    data[i] = value;
  }
}

__global__ void fillKernel(uint8_t* data, size_t byteLength, uint8_t value) {
  fillRange(data, byteLength, value);
}

__global__ void slowFillKernel(uint8_t* data, size_t byteLength, uint8_t value,
                               uint64_t spinNanos) {
  const uint64_t start = globalTimerNanos();
  while (globalTimerNanos() - start < spinNanos) __nanosleep(1000);
  fillRange(data, byteLength, value);
}

__global__ void countNotEqualKernel(const uint8_t* data, size_t byteLength, uint8_t value,
                                    unsigned long long* counter) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  unsigned long long local = 0;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < byteLength;
       i += stride) {
    if (data[i] != value) ++local;
  }
  if (local != 0) atomicAdd(counter, local);
}

}  // namespace

cudaError_t launchFill(void* data, size_t byteLength, uint8_t value, cudaStream_t stream) {
  if (byteLength == 0) return cudaSuccess;
  fillKernel<<<blocksFor(byteLength, 4096), kThreads, 0, stream>>>(static_cast<uint8_t*>(data),
                                                                    byteLength, value);
  return cudaGetLastError();
}

cudaError_t launchSlowFill(void* data, size_t byteLength, uint8_t value, uint64_t spinNanos,
                           cudaStream_t stream) {
  if (byteLength == 0) return cudaSuccess;
  // At most 256 blocks of 256 threads: all resident at once on an A100/H100, so the kernel
  // takes about spinNanos, not a multiple of it.
  slowFillKernel<<<blocksFor(byteLength, 256), kThreads, 0, stream>>>(
      static_cast<uint8_t*>(data), byteLength, value, spinNanos);
  return cudaGetLastError();
}

cudaError_t countNotEqual(const void* data, size_t byteLength, uint8_t value,
                          unsigned long long* counter, cudaStream_t stream,
                          unsigned long long* result) {
  cudaError_t status = cudaMemsetAsync(counter, 0, sizeof(unsigned long long), stream);
  if (status != cudaSuccess) return status;
  if (byteLength != 0) {
    countNotEqualKernel<<<blocksFor(byteLength, 4096), kThreads, 0, stream>>>(
        static_cast<const uint8_t*>(data), byteLength, value, counter);
    status = cudaGetLastError();
    if (status != cudaSuccess) return status;
  }
  status = cudaMemcpyAsync(result, counter, sizeof(unsigned long long), cudaMemcpyDeviceToHost,
                           stream);
  if (status != cudaSuccess) return status;
  return cudaStreamSynchronize(stream);
}

}  // namespace mlxtest
