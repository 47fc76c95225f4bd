// The example's kernel, declared for the host compiler (addon.cpp); defined in saxpy.cu.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace example {

// y = a * x + y over n floats on `stream`. Every block first waits `spinNanos` on the GPU
// clock: a deliberately slow kernel, still running when the host moves on.
cudaError_t launchSaxpy(const float* x, float* y, float a, uint32_t n, uint64_t spinNanos,
                        cudaStream_t stream);

}  // namespace example
