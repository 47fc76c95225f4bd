// y = a * x + y over n floats. Compiled at run time (newLibraryWithSource:) by src/addon.mm.
#include <metal_stdlib>
using namespace metal;

struct SaxpyParams {
  float a;
  uint n;
};

kernel void saxpy(device const float* x [[buffer(0)]],
                  device float* y [[buffer(1)]],
                  constant SaxpyParams& params [[buffer(2)]],
                  uint i [[thread_position_in_grid]]) {
  if (i < params.n) y[i] = params.a * x[i] + y[i];
}
