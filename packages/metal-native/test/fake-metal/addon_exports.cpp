// Test-only exports of the MLX_METAL_FAKE build of mlx_native.node: what the fake Metal
// runtime saw, for leak and balance checks from JavaScript (test/fake-metal/report.ts).
// Compiled into that build only; the published addon has none of this.
#include <napi.h>

#include <map>
#include <string>

#include "runtime/fake_metal.h"

namespace {

Napi::Value fakeMetalReport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object report = Napi::Object::New(env);
  std::map<std::string, int> leaked;
  for (const auto& name : fake::leakedObjectClasses()) leaked[name]++;
  Napi::Object byClass = Napi::Object::New(env);
  for (const auto& entry : leaked) byClass.Set(entry.first, entry.second);
  report.Set("leaked", byClass);
  const auto& violations = fake::violations();
  Napi::Array list = Napi::Array::New(env, violations.size());
  for (size_t i = 0; i < violations.size(); ++i) list.Set(i, violations[i]);
  report.Set("violations", list);
  report.Set("poolDepth", fake::poolDepth());
  report.Set("autoreleasedWithoutPool", static_cast<double>(fake::autoreleasedWithoutPool()));
  report.Set("residencyCommits", static_cast<double>(fake::commits()));
  report.Set("pendingCommandBuffers", static_cast<double>(fake::pendingCommandBuffers()));
  report.Set("createSystemDefaultDeviceCalls",
             static_cast<double>(fake::createSystemDefaultDeviceCalls()));
  report.Set("copyAllDevicesCalls", static_cast<double>(fake::copyAllDevicesCalls()));
  return report;
}

Napi::Value fakeMetalWaitForCommandBuffers(const Napi::CallbackInfo& info) {
  fake::waitForCommandBuffers();
  return info.Env().Undefined();
}

// Fault switches from JavaScript: { failBuffersAbove, failResidencySet, failCommandBuffer,
// supportsMetal3 }; keys left out keep their value.
Napi::Value fakeMetalSetKnobs(const Napi::CallbackInfo& info) {
  Napi::Object options = info[0].As<Napi::Object>();
  auto& knobs = fake::knobs();
  if (options.Has("failBuffersAbove")) {
    Napi::Value v = options.Get("failBuffersAbove");
    knobs.failBuffersAbove = v.IsNull() ? ~0ull : static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue());
  }
  if (options.Has("failResidencySet")) knobs.failResidencySet = options.Get("failResidencySet").ToBoolean();
  if (options.Has("failCommandBuffer")) knobs.failCommandBuffer = options.Get("failCommandBuffer").ToBoolean();
  if (options.Has("supportsMetal3")) knobs.supportsMetal3 = options.Get("supportsMetal3").ToBoolean();
  return info.Env().Undefined();
}

// One object the fake makes and nobody releases: the test that the exit check fails on a leak.
Napi::Value fakeMetalLeakForTest(const Napi::CallbackInfo& info) {
  fake::leakForTest();
  return info.Env().Undefined();
}

void* handleArg(const Napi::CallbackInfo& info, size_t index) {
  if (info[index].IsNull() || info[index].IsUndefined()) return nullptr;
  bool lossless = false;
  return reinterpret_cast<void*>(
      static_cast<uintptr_t>(info[index].As<Napi::BigInt>().Uint64Value(&lossless)));
}

// fakeMetalNewCommandQueue(device: bigint | null): bigint, a queue the test owns (the user's
// side of interop); null makes it on a device of its own (a "foreign" queue).
Napi::Value fakeMetalNewCommandQueue(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(),
                           static_cast<uint64_t>(reinterpret_cast<uintptr_t>(
                               fake::newCommandQueue(handleArg(info, 0)))));
}

Napi::Value fakeMetalReleaseObject(const Napi::CallbackInfo& info) {
  fake::releaseObject(handleArg(info, 0));
  return info.Env().Undefined();
}

Napi::Value fakeMetalQueueResidencySets(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fake::queueResidencySets(handleArg(info, 0)));
}

// fakeMetalBufferOptions(buffer: bigint): number, the MTLResourceOptions an id<MTLBuffer> was
// created with (-1 when it is not a live fake MTLBuffer).
Napi::Value fakeMetalBufferOptions(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(fake::bufferOptions(handleArg(info, 0))));
}

// The Metal calls logged so far ("Class selector ..."), cleared when `clear` is true.
Napi::Value fakeMetalCallLog(const Napi::CallbackInfo& info) {
  const auto entries = fake::log();
  if (info[0].ToBoolean()) fake::clearLog();
  Napi::Array list = Napi::Array::New(info.Env(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) list.Set(static_cast<uint32_t>(i), entries[i]);
  return list;
}

}  // namespace

void registerFakeMetalExports(Napi::Env env, Napi::Object exports) {
  exports.Set("fakeMetalReport", Napi::Function::New<fakeMetalReport>(env, "fakeMetalReport"));
  exports.Set("fakeMetalLeakForTest", Napi::Function::New<fakeMetalLeakForTest>(env, "fakeMetalLeakForTest"));
  exports.Set("fakeMetalSetKnobs", Napi::Function::New<fakeMetalSetKnobs>(env, "fakeMetalSetKnobs"));
  exports.Set("fakeMetalNewCommandQueue",
              Napi::Function::New<fakeMetalNewCommandQueue>(env, "fakeMetalNewCommandQueue"));
  exports.Set("fakeMetalReleaseObject",
              Napi::Function::New<fakeMetalReleaseObject>(env, "fakeMetalReleaseObject"));
  exports.Set("fakeMetalQueueResidencySets",
              Napi::Function::New<fakeMetalQueueResidencySets>(env, "fakeMetalQueueResidencySets"));
  exports.Set("fakeMetalBufferOptions",
              Napi::Function::New<fakeMetalBufferOptions>(env, "fakeMetalBufferOptions"));
  exports.Set("fakeMetalCallLog", Napi::Function::New<fakeMetalCallLog>(env, "fakeMetalCallLog"));
  exports.Set("fakeMetalWaitForCommandBuffers",
              Napi::Function::New<fakeMetalWaitForCommandBuffers>(env, "fakeMetalWaitForCommandBuffers"));
}
