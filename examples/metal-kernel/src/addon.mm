// The example's addon: a SAXPY pipeline compiled at run time from MSL and dispatched on a
// command queue the addon owns (the "user's queue"), on buffers handed over as @mlx bigints.
// Every cast goes through mlx_native/interop.h; nothing here is retained beyond its call except
// the addon's own queue and pipeline.
#import <Foundation/Foundation.h>
#import <Metal/Metal.h>
#include <napi.h>

#include <string>

#include "mlx_native/interop.h"

#if defined(MLX_METAL_FAKE)
void registerFakeKernels();  // src/fake_kernels.cpp: the fake GPU's stand-in for `saxpy`
#endif

namespace {

uint64_t bigintArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  bool lossless = false;
  if (!info[index].IsBigInt()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a bigint");
  }
  const uint64_t value = info[index].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless || value == 0) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be a nonzero handle below 2^64");
  }
  return value;
}

// new SaxpyKernel(deviceHandle: bigint, source: string): its own queue on that device and the
// `saxpy` pipeline compiled from `source`.
class SaxpyKernel : public Napi::ObjectWrap<SaxpyKernel> {
 public:
  static Napi::Function defineClass(Napi::Env env) {
    return DefineClass(env, "SaxpyKernel",
                       {InstanceAccessor<&SaxpyKernel::queue>("queue"),
                        InstanceMethod<&SaxpyKernel::encode>("encode"),
                        InstanceMethod<&SaxpyKernel::dispose>("dispose")});
  }

  explicit SaxpyKernel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SaxpyKernel>(info) {
    const uint64_t deviceHandle = bigintArg(info, 0, "device");
    const std::string source = info[1].As<Napi::String>().Utf8Value();
    std::string failure;
    // No exception may leave an @autoreleasepool (ARC would not pop it): fail after it.
    @autoreleasepool {
      failure = build(mlx_interop::metalDeviceOf(deviceHandle), source);
    }
    if (!failure.empty()) throw Napi::Error::New(info.Env(), failure);
  }

 private:
  // The pipeline and the queue; empty on success, else what failed.
  std::string build(id<MTLDevice> device, const std::string& source) {
    NSError* error = nil;
    id<MTLLibrary> library = [device newLibraryWithSource:[NSString stringWithUTF8String:source.c_str()]
                                                  options:nil
                                                    error:&error];
    if (library == nil) return "newLibraryWithSource failed: " + describe(error);
    // Made at run time rather than an @"" literal, which the fake runtime cannot read from another binary.
    id<MTLFunction> function = [library newFunctionWithName:[NSString stringWithUTF8String:"saxpy"]];
    if (function == nil) return "the library has no kernel `saxpy`";
    pipeline_ = [device newComputePipelineStateWithFunction:function error:&error];
    if (pipeline_ == nil) return "newComputePipelineStateWithFunction failed: " + describe(error);
    queue_ = [device newCommandQueue];
    if (queue_ == nil) return "newCommandQueue returned nil";
    return "";
  }

  static std::string describe(NSError* error) {
    return error == nil ? "no error" : std::string(error.localizedDescription.UTF8String ?: "?");
  }

  // The queue as the bigint MlxDevice.fence and attachResidency take.
  Napi::Value queue(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), mlx_interop::handleOfMetalQueue(queue_));
  }

  // encode(x, xOffset, y, yOffset, a, n): y = a * x + y on the GPU, committed on the addon's
  // queue and not waited for: the caller fences that queue.
  Napi::Value encode(const Napi::CallbackInfo& info) {
    if (queue_ == nil) throw Napi::Error::New(info.Env(), "SaxpyKernel was disposed");
    id<MTLBuffer> x = mlx_interop::metalBufferOf(bigintArg(info, 0, "x"));
    const NSUInteger xOffset = info[1].As<Napi::Number>().Uint32Value();
    id<MTLBuffer> y = mlx_interop::metalBufferOf(bigintArg(info, 2, "y"));
    const NSUInteger yOffset = info[3].As<Napi::Number>().Uint32Value();
    struct {
      float a;
      uint32_t n;
    } params{info[4].As<Napi::Number>().FloatValue(), info[5].As<Napi::Number>().Uint32Value()};
    @autoreleasepool {
      id<MTLCommandBuffer> commands = [queue_ commandBuffer];
      id<MTLComputeCommandEncoder> encoder = [commands computeCommandEncoder];
      [encoder setComputePipelineState:pipeline_];
      [encoder setBuffer:x offset:xOffset atIndex:0];
      [encoder setBuffer:y offset:yOffset atIndex:1];
      [encoder setBytes:&params length:sizeof params atIndex:2];
      [encoder dispatchThreads:MTLSizeMake(params.n, 1, 1) threadsPerThreadgroup:MTLSizeMake(64, 1, 1)];
      [encoder endEncoding];
      [commands commit];
    }
    return info.Env().Undefined();
  }

  Napi::Value dispose(const Napi::CallbackInfo& info) {
    pipeline_ = nil;
    queue_ = nil;
    return info.Env().Undefined();
  }

  id<MTLCommandQueue> queue_ = nil;
  id<MTLComputePipelineState> pipeline_ = nil;
};

Napi::Object init(Napi::Env env, Napi::Object exports) {
#if defined(MLX_METAL_FAKE)
  registerFakeKernels();
#endif
  exports.Set("SaxpyKernel", SaxpyKernel::defineClass(env));
  return exports;
}

}  // namespace

static Napi::Object InitMetalKernel(Napi::Env env, Napi::Object exports) { return init(env, exports); }
NODE_API_MODULE(metal_kernel, InitMetalKernel)
