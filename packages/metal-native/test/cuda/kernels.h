// Test-only CUDA kernels for mlx_cuda_test.node (never part of the published addon).
// Plain C++ declarations so addon.cpp (node-addon-api) is compiled by the host compiler and
// only kernels.cu goes through nvcc.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace mlxtest {

// Writes `value` to every byte of [data, data + byteLength), asynchronously on `stream`.
cudaError_t launchFill(void* data, size_t byteLength, uint8_t value, cudaStream_t stream);

// Every thread first sleeps/spins for `spinNanos` (GPU global timer), then fills as above:
// simulates work still running when the host moves on.
cudaError_t launchSlowFill(void* data, size_t byteLength, uint8_t value, uint64_t spinNanos,
                           cudaStream_t stream);

// Counts bytes != value, reading the memory on the GPU, ordered on `stream`; waits for the
// result. `counter` is device memory for one unsigned long long.
cudaError_t countNotEqual(const void* data, size_t byteLength, uint8_t value,
                          unsigned long long* counter, cudaStream_t stream,
                          unsigned long long* result);

}  // namespace mlxtest
