// mlx_cuda_test.node: a test-only N-API addon with CUDA kernels and runtime queries, used by
// the GPU tests to read and write pooled managed memory ON THE GPU and to inspect where the
// driver keeps it. Not part of @mlx/metal-native's API. Addresses are managed-memory
// addresses as bigints (for managed memory the device pointer equals the host pointer).
// Failures throw an Error whose `code` is the CUDA error name (or INVALID_ARGUMENT).
#include <napi.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels.h"

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

struct TestState {
  cudaStream_t stream = nullptr;           // the addon's own non-blocking test stream
  unsigned long long* counter = nullptr;   // device memory for countNotEqual
};
TestState state;

Napi::Error cudaError(Napi::Env env, const char* call, cudaError_t status) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  Napi::Error error = Napi::Error::New(env, std::string(call) + " failed: " +
                                                cudaGetErrorName(status) + " (" +
                                                cudaGetErrorString(status) + ")");
  error.Set("code", Napi::String::New(env, cudaGetErrorName(status)));
  return error;
}

void check(Napi::Env env, cudaError_t status, const char* call) {
  if (status != cudaSuccess) throw cudaError(env, call, status);
}

[[noreturn]] void invalid(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "INVALID_ARGUMENT"));
  throw error;
}

void* addressArg(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsBigInt()) invalid(info.Env(), "address must be a bigint");
  bool lossless = false;
  const uint64_t address = info[index].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless || address == 0) invalid(info.Env(), "address must be a non-zero uint64 bigint");
  return reinterpret_cast<void*>(static_cast<uintptr_t>(address));
}

uint64_t integerArg(const Napi::CallbackInfo& info, size_t index, const char* name,
                    double min, double max) {
  const Napi::Value value = info[index];
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
  if (!(number >= min && number <= max) || std::floor(number) != number) {
    invalid(info.Env(), std::string(name) + " must be an integer in [" +
                            std::to_string(static_cast<uint64_t>(min)) + ", " +
                            std::to_string(static_cast<uint64_t>(max)) + "]");
  }
  return static_cast<uint64_t>(number);
}

cudaStream_t testStream(Napi::Env env) {
  if (state.stream == nullptr) {
    check(env, cudaSetDevice(0), "cudaSetDevice");
    check(env, cudaStreamCreateWithFlags(&state.stream, cudaStreamNonBlocking),
          "cudaStreamCreateWithFlags");
  }
  return state.stream;
}

// undefined = the test stream; a bigint = that cudaStream_t (0n = the legacy default stream).
cudaStream_t streamArg(const Napi::CallbackInfo& info, size_t index) {
  if (info[index].IsUndefined()) return testStream(info.Env());
  if (!info[index].IsBigInt()) invalid(info.Env(), "stream must be a bigint or undefined");
  bool lossless = false;
  const uint64_t handle = info[index].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) invalid(info.Env(), "stream must be a uint64 bigint");
  check(info.Env(), cudaSetDevice(0), "cudaSetDevice");
  return reinterpret_cast<cudaStream_t>(static_cast<uintptr_t>(handle));
}

Napi::Value available(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  auto fail = [&](const std::string& reason) {
    result.Set("ok", false);
    result.Set("reason", reason);
    return result;
  };
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return fail(std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(status) + " (" +
                cudaGetErrorString(status) + ")");
  }
  if (count == 0) return fail("cudaGetDeviceCount found no CUDA device");
  int managed = 0;
  int concurrent = 0;
  status = cudaDeviceGetAttribute(&managed, cudaDevAttrManagedMemory, 0);
  if (status == cudaSuccess) {
    status = cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, 0);
  }
  if (status != cudaSuccess) {
    cudaGetLastError();
    return fail(std::string("cudaDeviceGetAttribute failed: ") + cudaGetErrorName(status));
  }
  if (!managed || !concurrent) {
    return fail("device 0 lacks managed memory or concurrent managed access");
  }
  // Probe that our kernels run on this GPU (sm_80/sm_90 code): fill 16 managed bytes.
  try {
    cudaStream_t stream = testStream(env);
    void* probe = nullptr;
    check(env, cudaMallocManaged(&probe, 16), "cudaMallocManaged");
    status = mlxtest::launchFill(probe, 16, 0x5a, stream);
    if (status == cudaSuccess) status = cudaStreamSynchronize(stream);
    const bool filled = status == cudaSuccess && static_cast<uint8_t*>(probe)[15] == 0x5a;
    cudaFree(probe);
    if (status != cudaSuccess) {
      cudaGetLastError();
      return fail(std::string("probe kernel failed: ") + cudaGetErrorName(status) + " (" +
                  cudaGetErrorString(status) + ")");
    }
    if (!filled) return fail("probe kernel ran but did not write its value");
  } catch (const Napi::Error& error) {
    return fail(error.Message());
  }
  result.Set("ok", true);
  result.Set("reason", env.Null());
  return result;
}

Napi::Value fill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = addressArg(info, 0);
  const uint64_t length = integerArg(info, 1, "byteLength", 1, kMaxSafeInteger);
  const auto value = static_cast<uint8_t>(integerArg(info, 2, "value", 0, 255));
  cudaStream_t stream = streamArg(info, 3);
  check(env, mlxtest::launchFill(data, length, value, stream), "fill kernel launch");
  return env.Undefined();
}

Napi::Value slowFill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = addressArg(info, 0);
  const uint64_t length = integerArg(info, 1, "byteLength", 1, kMaxSafeInteger);
  const auto value = static_cast<uint8_t>(integerArg(info, 2, "value", 0, 255));
  const uint64_t spinMicros = integerArg(info, 3, "spinMicros", 0, 60e6);
  cudaStream_t stream = streamArg(info, 4);
  check(env, mlxtest::launchSlowFill(data, length, value, spinMicros * 1000, stream),
        "slowFill kernel launch");
  return env.Undefined();
}

Napi::Value testStreamHandle(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(),
                           static_cast<uint64_t>(reinterpret_cast<uintptr_t>(testStream(info.Env()))));
}

Napi::Value synchronize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check(env, cudaSetDevice(0), "cudaSetDevice");
  check(env, cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  return env.Undefined();
}

// Whether work is still pending on the stream (default: the test stream): cudaStreamQuery.
Napi::Value streamBusy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cudaStream_t stream = streamArg(info, 0);
  const cudaError_t status = cudaStreamQuery(stream);
  if (status == cudaErrorNotReady) {
    cudaGetLastError();
    return Napi::Boolean::New(env, true);
  }
  check(env, status, "cudaStreamQuery");
  return Napi::Boolean::New(env, false);
}

Napi::Value countNotEqualJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const void* data = addressArg(info, 0);
  const uint64_t length = integerArg(info, 1, "byteLength", 1, kMaxSafeInteger);
  const auto value = static_cast<uint8_t>(integerArg(info, 2, "value", 0, 255));
  cudaStream_t stream = streamArg(info, 3);
  if (state.counter == nullptr) {
    check(env, cudaMalloc(reinterpret_cast<void**>(&state.counter), sizeof(unsigned long long)),
          "cudaMalloc(counter)");
  }
  unsigned long long count = 0;
  check(env, mlxtest::countNotEqual(data, length, value, state.counter, stream, &count),
        "countNotEqual");
  return Napi::Number::New(env, static_cast<double>(count));
}

Napi::Value pointerInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const void* data = addressArg(info, 0);
  cudaPointerAttributes attributes{};
  check(env, cudaPointerGetAttributes(&attributes, data), "cudaPointerGetAttributes");
  const char* type = "unregistered";
  switch (attributes.type) {
    case cudaMemoryTypeManaged:
      type = "managed";
      break;
    case cudaMemoryTypeDevice:
      type = "device";
      break;
    case cudaMemoryTypeHost:
      type = "host";
      break;
    case cudaMemoryTypeUnregistered:
      break;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("type", type);
  result.Set("device", attributes.device);
  result.Set("devicePointer", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(
                                                         attributes.devicePointer))));
  result.Set("hostPointer", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(
                                                       attributes.hostPointer))));
  return result;
}

// Device ordinal, -1 = host (cudaCpuDeviceId), -2 = none (cudaInvalidDeviceId). The
// lastPrefetchLocation is where the last prefetch was requested to go, whether or not it has
// finished (CUDA documents it so).
Napi::Value rangeLocation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = addressArg(info, 0);
  const uint64_t length = integerArg(info, 1, "byteLength", 1, kMaxSafeInteger);
  int preferred = 0;
  int lastPrefetch = 0;
  check(env,
        cudaMemRangeGetAttribute(&preferred, sizeof preferred,
                                 cudaMemRangeAttributePreferredLocation, data, length),
        "cudaMemRangeGetAttribute(PreferredLocation)");
  check(env,
        cudaMemRangeGetAttribute(&lastPrefetch, sizeof lastPrefetch,
                                 cudaMemRangeAttributeLastPrefetchLocation, data, length),
        "cudaMemRangeGetAttribute(LastPrefetchLocation)");
  Napi::Object result = Napi::Object::New(env);
  result.Set("preferredLocation", preferred);
  result.Set("lastPrefetchLocation", lastPrefetch);
  return result;
}

// Per round: allocate every size, then free them all; ns per alloc+free pair. With zeroFill,
// each allocation is also zeroed on the test stream and waited for, as the cuda backend does.
Napi::Value rawAllocBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) invalid(env, "kind must be \"managed\" or \"device\"");
  const std::string kind = info[0].As<Napi::String>().Utf8Value();
  if (kind != "managed" && kind != "device") invalid(env, "kind must be \"managed\" or \"device\"");
  if (!info[1].IsArray()) invalid(env, "sizes must be an array of positive integers");
  const Napi::Array list = info[1].As<Napi::Array>();
  std::vector<size_t> sizes;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const Napi::Value value = list.Get(i);
    const double size = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
    if (!(size >= 1 && size <= kMaxSafeInteger) || std::floor(size) != size) {
      invalid(env, "sizes must be an array of positive integers");
    }
    sizes.push_back(static_cast<size_t>(size));
  }
  if (sizes.empty()) invalid(env, "sizes must not be empty");
  const uint64_t rounds = integerArg(info, 2, "rounds", 1, 1e6);
  const bool zeroFill = info[3].ToBoolean().Value();
  cudaStream_t stream = testStream(env);
  const bool managed = kind == "managed";
  std::vector<void*> pointers(sizes.size(), nullptr);
  Napi::Array out = Napi::Array::New(env, rounds);
  for (uint64_t round = 0; round < rounds; ++round) {
    const auto start = std::chrono::steady_clock::now();
    cudaError_t status = cudaSuccess;
    const char* failed = nullptr;
    size_t made = 0;
    for (; made < sizes.size(); ++made) {
      status = managed ? cudaMallocManaged(&pointers[made], sizes[made], cudaMemAttachGlobal)
                       : cudaMalloc(&pointers[made], sizes[made]);
      if (status != cudaSuccess) {
        failed = managed ? "cudaMallocManaged" : "cudaMalloc";
        break;
      }
      if (zeroFill) {
        status = cudaMemsetAsync(pointers[made], 0, sizes[made], stream);
        if (status == cudaSuccess) status = cudaStreamSynchronize(stream);
        if (status != cudaSuccess) {
          failed = "cudaMemsetAsync";
          ++made;
          break;
        }
      }
    }
    for (size_t i = 0; i < made; ++i) {
      const cudaError_t freed = cudaFree(pointers[i]);
      if (freed != cudaSuccess && failed == nullptr) {
        status = freed;
        failed = "cudaFree";
      }
    }
    if (failed != nullptr) throw cudaError(env, failed, status);
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now() - start);
    out.Set(static_cast<uint32_t>(round),
            static_cast<double>(elapsed.count()) / static_cast<double>(sizes.size()));
  }
  return out;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("available", Napi::Function::New<available>(env, "available"));
  exports.Set("fill", Napi::Function::New<fill>(env, "fill"));
  exports.Set("slowFill", Napi::Function::New<slowFill>(env, "slowFill"));
  exports.Set("testStream", Napi::Function::New<testStreamHandle>(env, "testStream"));
  exports.Set("synchronize", Napi::Function::New<synchronize>(env, "synchronize"));
  exports.Set("streamBusy", Napi::Function::New<streamBusy>(env, "streamBusy"));
  exports.Set("countNotEqual", Napi::Function::New<countNotEqualJs>(env, "countNotEqual"));
  exports.Set("pointerInfo", Napi::Function::New<pointerInfo>(env, "pointerInfo"));
  exports.Set("rangeLocation", Napi::Function::New<rangeLocation>(env, "rangeLocation"));
  exports.Set("rawAllocBench", Napi::Function::New<rawAllocBench>(env, "rawAllocBench"));
  return exports;
}

}  // namespace

static Napi::Object InitMlxCudaTest(Napi::Env env, Napi::Object exports) {
  return init(env, exports);
}
NODE_API_MODULE(mlx_cuda_test, InitMlxCudaTest)
