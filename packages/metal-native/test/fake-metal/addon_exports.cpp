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

}  // namespace

void registerFakeMetalExports(Napi::Env env, Napi::Object exports) {
  exports.Set("fakeMetalReport", Napi::Function::New<fakeMetalReport>(env, "fakeMetalReport"));
  exports.Set("fakeMetalLeakForTest", Napi::Function::New<fakeMetalLeakForTest>(env, "fakeMetalLeakForTest"));
  exports.Set("fakeMetalSetKnobs", Napi::Function::New<fakeMetalSetKnobs>(env, "fakeMetalSetKnobs"));
  exports.Set("fakeMetalWaitForCommandBuffers",
              Napi::Function::New<fakeMetalWaitForCommandBuffers>(env, "fakeMetalWaitForCommandBuffers"));
}
