// The example's addon: a stream of the user's own and SAXPY launched on it, on buffers handed
// over as @mlx bigints (mlx_native/interop.h does the casts). Nothing is retained: the pool's
// lease keeps a buffer's memory, and a fence on this stream ends it.
#include <cuda_runtime_api.h>
#include <napi.h>

#include <string>

#include "mlx_native/interop.h"
#include "saxpy.h"

namespace {

void check(Napi::Env env, cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  cudaGetLastError();
  Napi::Error error = Napi::Error::New(env, std::string(call) + " failed: " + cudaGetErrorName(status) +
                                                " (" + cudaGetErrorString(status) + ")");
  error.Set("code", cudaGetErrorName(status));
  throw error;
}

uint64_t bigintArg(const Napi::CallbackInfo& info, size_t index, const char* name, bool allowZero) {
  bool lossless = false;
  if (!info[index].IsBigInt()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a bigint");
  const uint64_t value = info[index].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless || (value == 0 && !allowZero)) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be a nonzero bigint below 2^64");
  }
  return value;
}

int ordinalArg(const Napi::CallbackInfo& info, size_t index) {
  return static_cast<int>(bigintArg(info, index, "device", true));
}

// deviceCount(): cudaGetDeviceCount, 0 (not an error) where there is no driver or GPU.
Napi::Value deviceCount(const Napi::CallbackInfo& info) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    count = 0;
  }
  return Napi::Number::New(info.Env(), count);
}

// createStream(device: bigint): a non-blocking stream on that ordinal (MlxDevice.nativeHandles.device).
Napi::Value createStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check(env, cudaSetDevice(ordinalArg(info, 0)), "cudaSetDevice");
  cudaStream_t stream = nullptr;
  check(env, cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  return Napi::BigInt::New(env, mlx_interop::handleOfCudaStream(stream));
}

Napi::Value destroyStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check(env, cudaSetDevice(ordinalArg(info, 0)), "cudaSetDevice");
  check(env, cudaStreamDestroy(mlx_interop::cudaStreamOf(bigintArg(info, 1, "stream", false))),
        "cudaStreamDestroy");
  return env.Undefined();
}

// saxpy(device, stream, x, xOffset, y, yOffset, a, n, spinMicros): launched, not waited for.
Napi::Value saxpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check(env, cudaSetDevice(ordinalArg(info, 0)), "cudaSetDevice");
  cudaStream_t stream = mlx_interop::cudaStreamOf(bigintArg(info, 1, "stream", false));
  const auto* x = static_cast<const float*>(mlx_interop::pointerOf(
      bigintArg(info, 2, "x", false), info[3].As<Napi::Number>().Int64Value()));
  auto* y = static_cast<float*>(mlx_interop::pointerOf(bigintArg(info, 4, "y", false),
                                                       info[5].As<Napi::Number>().Int64Value()));
  const float a = info[6].As<Napi::Number>().FloatValue();
  const uint32_t n = info[7].As<Napi::Number>().Uint32Value();
  const uint64_t spinNanos = static_cast<uint64_t>(info[8].As<Napi::Number>().Int64Value()) * 1000;
  check(env, example::launchSaxpy(x, y, a, n, spinNanos, stream), "saxpy launch");
  return env.Undefined();
}

// streamBusy(device, stream): cudaStreamQuery says work is still pending.
Napi::Value streamBusy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check(env, cudaSetDevice(ordinalArg(info, 0)), "cudaSetDevice");
  const cudaError_t status = cudaStreamQuery(mlx_interop::cudaStreamOf(bigintArg(info, 1, "stream", false)));
  if (status == cudaErrorNotReady) {
    cudaGetLastError();
    return Napi::Boolean::New(env, true);
  }
  check(env, status, "cudaStreamQuery");
  return Napi::Boolean::New(env, false);
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("deviceCount", Napi::Function::New<deviceCount>(env, "deviceCount"));
  exports.Set("createStream", Napi::Function::New<createStream>(env, "createStream"));
  exports.Set("destroyStream", Napi::Function::New<destroyStream>(env, "destroyStream"));
  exports.Set("saxpy", Napi::Function::New<saxpy>(env, "saxpy"));
  exports.Set("streamBusy", Napi::Function::New<streamBusy>(env, "streamBusy"));
  return exports;
}

}  // namespace

static Napi::Object InitCudaKernel(Napi::Env env, Napi::Object exports) { return init(env, exports); }
NODE_API_MODULE(cuda_kernel, InitCudaKernel)
