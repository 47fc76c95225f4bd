// The fake Metal runtime's GPU runs C++: this is `saxpy` of src/saxpy.metal, thread by thread,
// so that the example's CPU check also holds under the fake (tests only; never on macOS).
#include <cstdint>

#include "runtime/fake_metal.h"

namespace {

struct SaxpyParams {
  float a;
  uint32_t n;
};

void saxpy(const fake::KernelArgs& args) {
  const auto* x = static_cast<const float*>(args.buffers[0]);
  auto* y = static_cast<float*>(args.buffers[1]);
  const auto* params = static_cast<const SaxpyParams*>(args.bytes[2]);
  for (uint64_t i = 0; i < args.threads; ++i) {
    if (i < params->n) y[i] = params->a * x[i] + y[i];
  }
}

}  // namespace

void registerFakeKernels() { fake::registerKernel("saxpy", saxpy); }
