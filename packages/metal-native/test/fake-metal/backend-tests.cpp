// C++ tests of metal_backend.mm and the shared C++ above it (Device, BufferRecord,
// ResidencyTracker), run against the fake Metal runtime (README.md). Every group ends by
// checking that no object leaked, nothing was over-released and no autorelease pool was left
// pushed. Exit status 0 when every check passed.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "backend.h"
#include "buffer_record.h"
#include "device.h"
#include "errors.h"
#include "residency_tracker.h"
#include "runtime/fake_metal.h"

// Counts operator new on the fake's completion-handler thread: a completion handler must not
// allocate there (an allocation failure on Metal's thread terminates the process).
static std::atomic<long> completionThreadAllocations{0};
void* operator new(std::size_t size) {
  if (fake::onCompletionThread()) ++completionThreadAllocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

static int failures = 0, passes = 0;
#define CHECK(cond, what)                                                               \
  do {                                                                                  \
    if (cond) {                                                                         \
      ++passes;                                                                         \
      std::printf("  ok   %s\n", what);                                                 \
    } else {                                                                            \
      ++failures;                                                                       \
      std::printf("  FAIL %s  (%s:%d)\n", what, __FILE__, __LINE__);                    \
    }                                                                                   \
  } while (0)

namespace {

struct TestSignal : mlx::FenceSignal {
  std::atomic<int> calls{0};
  std::atomic<bool> ok{false};
  mlx::FenceResult result;
  void complete(mlx::FenceResult r) noexcept override {
    ok = r.ok;
    result = std::move(r);
    ++calls;
  }
};

// The checks every group ends with: nothing leaked, no violation, no pool left pushed.
void expectClean(const char* group) {
  const long leaked = fake::leakedObjects();
  const int depth = fake::poolDepth();
  auto& violations = fake::violations();
  std::printf("  [fake] %s: leaked objects %ld, pool depth %d, violations %zu\n", group, leaked,
              depth, violations.size());
  for (auto& name : fake::leakedObjectClasses()) std::printf("  [fake]   leaked: %s\n", name.c_str());
  for (auto& v : violations) std::printf("  [fake]   violation: %s\n", v.c_str());
  CHECK(leaked == 0, "no object leaked");
  CHECK(violations.empty(), "no over-release, use after free or broken Metal rule");
  CHECK(depth == 0, "no autorelease pool left pushed");
  violations.clear();
}

mlx::Device openMetal() { return mlx::Device(mlx::openBackendDevice(mlx::BackendKind::Metal)); }

bool allZero(const void* memory, size_t length) {
  const auto* bytes = static_cast<const unsigned char*>(memory);
  for (size_t i = 0; i < length; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

void probeAndOpen() {
  std::printf("probe + open: MTLCopyAllDevices once, never MTLCreateSystemDefaultDevice\n");
  {
    auto probe = mlx::probeBackend(mlx::BackendKind::Metal);
    CHECK(probe.built && probe.available, "probe: built and available");
    mlx::Device device = openMetal();
    mlx::Device second = openMetal();
    mlx::probeBackend(mlx::BackendKind::Metal);
    CHECK(device.info().name == "Fake Apple M-series GPU", "device name read through ARC");
    CHECK(device.info().residencySupported, "residency supported (SDK 15, Metal 3 GPU)");
    CHECK(fake::createSystemDefaultDeviceCalls() == 0,
          "no MTLCreateSystemDefaultDevice (it switches dual-GPU Macs to the discrete GPU)");
    std::printf("  [fake] MTLCopyAllDevices calls: %ld\n", fake::copyAllDevicesCalls());
    CHECK(fake::copyAllDevicesCalls() == 1, "MTLCopyAllDevices enumerated once and cached");
  }
  expectClean("probe+open");
}

void metal3Required() {
  std::printf("residency needs a Metal 3 GPU (supportsFamily:MTLGPUFamilyMetal3)\n");
  {
    fake::knobs().supportsMetal3 = false;
    mlx::Device device = openMetal();
    fake::knobs().supportsMetal3 = true;
    std::printf("  reason: %s\n", device.info().residencyUnsupportedReason.c_str());
    CHECK(!device.info().residencySupported, "no residency sets without Metal 3");
    CHECK(device.info().residencyUnsupportedReason.find("MTLGPUFamilyMetal3") != std::string::npos,
          "residencyUnsupportedReason names MTLGPUFamilyMetal3");
    bool threw = false;
    try {
      device.newResidencySet("x", 1);
    } catch (const mlx::NativeError& e) {
      threw = e.code() == mlx::ErrorCode::Residency;
    }
    CHECK(threw, "newResidencySet is a RESIDENCY error there");
  }
  expectClean("metal3");
}

void allocateAndFree() {
  std::printf("allocate: zeroed by Metal, not by a memset; free releases the MTLBuffer\n");
  {
    mlx::Device device = openMetal();
    auto small = device.allocBuffer(1 << 20);
    CHECK(allZero(small->allocation().contents, 1 << 20), "a fresh 1 MiB buffer reads as zeros");
    const size_t big = size_t{64} << 20;
    auto fresh = device.allocBuffer(static_cast<double>(big));
    const long resident = fake::residentPages(fresh->allocation().contents, big);
    std::printf("  [fake] resident pages of a fresh 64 MiB buffer: %ld\n", resident);
    CHECK(resident == 0, "allocate() writes no page of a fresh buffer (Metal zeroes it)");
    CHECK(allZero(fresh->allocation().contents, big), "a fresh 64 MiB buffer reads as zeros");
    const long before = fake::liveObjects();
    small->free();
    fresh->free();
    CHECK(fake::liveObjects() == before - 2, "free() deallocates the MTLBuffers at once");
  }
  expectClean("alloc");
}

void hazardTracking() {
  std::printf("hazard tracking: untracked adds MTLResourceHazardTrackingModeUntracked, shared storage kept\n");
  {
    mlx::Device device = openMetal();
    auto tracked = device.allocBuffer(4096);
    auto untracked = device.allocBuffer(4096, mlx::HazardTracking::Untracked);
    CHECK(fake::bufferOptions(tracked->allocation().handle) == 0,
          "a default buffer is created with MTLResourceStorageModeShared only");
    CHECK(fake::bufferOptions(untracked->allocation().handle) == (1 << 8),
          "an untracked buffer adds MTLResourceHazardTrackingModeUntracked (1 << 8)");
    CHECK(allZero(untracked->allocation().contents, 4096), "an untracked buffer reads as zeros");
  }
  expectClean("hazard tracking");
}

void freeCommittedMember() {
  std::printf("free of a committed residency member commits the removal\n");
  {
    mlx::Device device = openMetal();
    auto set = device.newResidencySet("pool", 64);
    auto buffer = device.allocBuffer(4096);
    auto staged = device.allocBuffer(4096);
    set->add(buffer);
    set->commit();
    set->requestResidency();
    set->add(staged);  // staged, never committed: freeing it needs no commit
    const long liveBefore = fake::liveObjects();
    const long commitsBefore = fake::commits();
    const uint64_t countBefore = set->commitCount();
    fake::clearLog();
    buffer->free();
    std::printf("  [fake] calls made by buffer.free():");
    for (auto& l : fake::log()) std::printf(" {%s}", l.c_str());
    std::printf("\n");
    CHECK(fake::liveObjects() == liveBefore - 1, "free() of a committed member frees the MTLBuffer now");
    CHECK(fake::commits() == commitsBefore + 1, "exactly one commit for that removal");
    CHECK(set->commitCount() == countBefore + 1, "the set's commitCount counts it");
    CHECK(set->allocationCount() == 1, "the staged member is still a member");
    staged->free();
    CHECK(fake::commits() == commitsBefore + 1, "free() of a staged-only member commits nothing");
    CHECK(set->commitCount() == countBefore + 1, "and counts nothing");
    set->destroy();
  }
  expectClean("residency");
}

void throwLeavesNoPool() {
  std::printf("a throw inside an autorelease pool leaves no pool pushed\n");
  {
    mlx::Device device = openMetal();
    fake::knobs().failBuffersAbove = 1 << 20;
    bool threw = false;
    try {
      device.allocBuffer(2 << 20);
    } catch (const mlx::NativeError& e) {
      threw = e.code() == mlx::ErrorCode::BufferAllocation;
    }
    fake::knobs().failBuffersAbove = ~0ull;
    CHECK(threw, "nil buffer -> BUFFER_ALLOCATION");
    CHECK(fake::poolDepth() == 0, "no pool left pushed after the failed allocation");

    fake::knobs().failResidencySet = true;
    threw = false;
    try {
      device.newResidencySet("x", 1);
    } catch (const mlx::NativeError& e) {
      threw = e.code() == mlx::ErrorCode::Residency &&
              std::strstr(e.what(), "fake: residency set refused") != nullptr;
      std::printf("  message: %s\n", e.what());
    }
    fake::knobs().failResidencySet = false;
    CHECK(threw, "nil set -> RESIDENCY with the NSError text");
    CHECK(fake::poolDepth() == 0, "no pool left pushed after the refused set");
  }
  expectClean("throws");
}

void fences() {
  std::printf("fences: completion on another thread, errors by name, no allocation there\n");
  {
    mlx::Device device = openMetal();
    auto ok = std::make_shared<TestSignal>();
    CHECK(device.enqueueFence(0, ok), "enqueueFence returns pending");
    fake::waitForCommandBuffers();
    fake::knobs().failCommandBuffer = true;
    auto bad = std::make_shared<TestSignal>();
    device.enqueueFence(0, bad);
    fake::waitForCommandBuffers();
    fake::knobs().failCommandBuffer = false;
    CHECK(ok->calls == 1 && ok->ok, "completed handler settles the signal once, ok");
    CHECK(bad->calls == 1 && !bad->ok, "a failed command buffer settles it as a failure");
    std::printf("  failure: %s [%s]\n", bad->result.message.c_str(), bad->result.errorName.c_str());
    CHECK(bad->result.errorName == "MTLCommandBufferErrorPageFault",
          "the error name is the MTLCommandBufferError code's name");
    std::printf("  [fake] operator new calls on the completion thread: %ld\n",
                completionThreadAllocations.load());
    CHECK(completionThreadAllocations == 0, "the completion handler allocates nothing on Metal's thread");
    // A user's queue of this device is fenced on that queue; one of another device is refused.
    void* userQueue = fake::newCommandQueue(reinterpret_cast<void*>(device.nativeDeviceHandle()));
    void* foreignQueue = fake::newCommandQueue(nullptr);
    auto onUser = std::make_shared<TestSignal>();
    CHECK(device.enqueueFence(reinterpret_cast<uintptr_t>(userQueue), onUser),
          "a user queue of this device is fenced");
    fake::waitForCommandBuffers();
    CHECK(onUser->calls == 1 && onUser->ok, "the user queue's fence settles once, ok");
    bool threw = false;
    try {
      device.enqueueFence(reinterpret_cast<uintptr_t>(foreignQueue), ok);
    } catch (const mlx::NativeError& e) {
      threw = e.code() == mlx::ErrorCode::InvalidArgument;
    }
    CHECK(threw, "a queue of another MTLDevice is INVALID_ARGUMENT");
    fake::releaseObject(userQueue);
    fake::releaseObject(foreignQueue);
  }
  expectClean("fences");
}

void residencySetLimit() {
  std::printf("a queue holds at most 32 residency sets\n");
  {
    mlx::Device device = openMetal();
    std::vector<std::shared_ptr<mlx::ResidencyTracker>> sets;
    for (int i = 0; i < 32; ++i) sets.push_back(device.newResidencySet("s" + std::to_string(i), 1));
    bool threw = false;
    try {
      sets.push_back(device.newResidencySet("s32", 1));
    } catch (const mlx::NativeError& e) {
      threw = e.code() == mlx::ErrorCode::Residency;
      std::printf("  message: %s\n", e.what());
    }
    CHECK(threw, "the 33rd set on one queue is a RESIDENCY error");
    CHECK(fake::violations().empty(), "no queue ever held more than 32 sets");
    sets.front()->destroy();
    bool reopened = true;
    try {
      sets.push_back(device.newResidencySet("again", 1));
    } catch (const mlx::NativeError&) {
      reopened = false;
    }
    CHECK(reopened, "destroying one makes room for another");
    for (auto& s : sets) s->destroy();
  }
  expectClean("32-sets");
}

}  // namespace

int main() {
  probeAndOpen();
  metal3Required();
  allocateAndFree();
  hazardTracking();
  freeCommittedMember();
  throwLeavesNoPool();
  fences();
  residencySetLimit();
  std::printf("fake-metal backend tests: %d passed, %d failed\n", passes, failures);
  return failures == 0 ? 0 : 1;
}
