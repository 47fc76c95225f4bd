// Test-side view of the fake Objective-C runtime and fake Metal classes (README.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
namespace fake {
// MTLBuffer.gpuAddress - contents: the fake's GPU addresses are its CPU addresses, shifted.
constexpr uint64_t kGpuAddressOffset = uint64_t{1} << 44;
// Fault switches and limits. Defaults follow Apple's documentation.
struct Knobs {
  bool noDevice = false;              // MTLCopyAllDevices is empty, MTLCreateSystemDefaultDevice nil
  uint64_t failBuffersAbove = ~0ull;  // newBufferWithLength:options: returns nil above this
  bool failResidencySet = false;      // newResidencySetWithDescriptor:error: fails with an NSError
  bool failCommandBuffer = false;     // committed command buffers end with MTLCommandBufferStatusError
  long commandBufferErrorCode = 3;    // the NSError code they then carry (MTLCommandBufferErrorPageFault)
  bool supportsMetal3 = true;         // supportsFamily:MTLGPUFamilyMetal3
  int maxSetsPerQueue = 32;           // "up to 32 different residency sets" per command queue
};
Knobs& knobs();
long liveObjects();                           // fake objects alive (constant strings excluded)
std::vector<std::string> liveObjectClasses();
long leakedObjects();                         // live, less the device list the backend caches
std::vector<std::string> leakedObjectClasses();
std::vector<std::string>& violations();       // contract breaks: over-release, use after free, ...
std::vector<std::string> log();               // "Class selector" calls on Metal objects
void clearLog();
int poolDepth();                              // autorelease pools pushed and not popped, this thread
long autoreleasedWithoutPool();
long commits();                               // MTLResidencySet commit calls
long residentPages(const void* memory, size_t length);  // pages of a buffer's memory in RAM
bool onCompletionThread();                    // true inside a completion handler's thread
long createSystemDefaultDeviceCalls();
long copyAllDevicesCalls();
long pendingCommandBuffers();
void waitForCommandBuffers();
// For tests that play the user's side of interop: a new (retained) command queue on `device`
// (an id<MTLDevice>), or on a new device outside MTLCopyAllDevices when `device` is null;
// released by releaseObject. queueResidencySets: the sets attached to a queue now.
void* newCommandQueue(void* device);
void releaseObject(void* object);
int queueResidencySets(void* queue);
// The MTLResourceOptions a live MTLBuffer (an id<MTLBuffer>) was created with; -1 for anything
// that is not a live fake MTLBuffer.
long bufferOptions(const void* buffer);
// Compute kernels: the fake's GPU runs a C++ stand-in registered under the MSL function's name.
// It gets the buffers bound with setBuffer:offset:atIndex: (contents + offset, by index), the
// bytes bound with setBytes:length:atIndex:, and the grid's thread count (width*height*depth).
struct KernelArgs {
  static constexpr int kSlots = 31;  // Metal's buffer argument table
  void* buffers[kSlots];
  const void* bytes[kSlots];
  uint64_t threads;
};
using Kernel = void (*)(const KernelArgs& args);
void registerKernel(const char* name, Kernel kernel);
// Every command buffer then sleeps this long on the fake GPU before running (a slow kernel).
void setCommandBufferDelayMs(int ms);
void leakForTest();                           // strands one object: proves the leak checks fire                 // all committed command buffers completed
}  // namespace fake
