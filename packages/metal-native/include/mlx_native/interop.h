// Using @mlx buffers and devices from an addon's own GPU code.
//
// JavaScript hands an addon plain bigints (read them with napi_get_value_bigint_uint64, or
// Napi::BigInt::Uint64Value with `lossless` checked). This header turns them into the types
// Metal, CUDA and C take, and states how long each stays valid. It has no dependencies of its
// own: include it after <Metal/Metal.h> (Objective-C++) or <cuda_runtime_api.h> to get the
// typed helpers; the plain-pointer helpers are always there.
//
// Which bigint means what (DLPack's device types in brackets):
//
//   MlxBuffer.nativeHandle   metal: id<MTLBuffer> [kDLMetal]; cuda: the managed device pointer
//                            [kDLCUDAManaged]; host: the host pointer [kDLCPU].
//   MlxBuffer.byteOffset     where the buffer's bytes start inside nativeHandle: bind
//                            [byteOffset, byteOffset + byteLength) (setBuffer:offset:atIndex:
//                            on Metal; add it to the pointer on CUDA and the host).
//   MlxBuffer.gpuAddress     metal: MTLBuffer.gpuAddress (0 before macOS 13), for argument
//                            buffers; cuda: the device pointer; host: the host pointer.
//   MlxDevice.nativeHandles  metal: { id<MTLDevice>, its id<MTLCommandQueue> }; cuda:
//                            { the ordinal, 0 = the legacy default stream }; host: { 0, 0 }.
//   MlxDevice.fence(queue)   metal: a user's id<MTLCommandQueue> of the same device, or 0 for
//                            the device's own; cuda: any cudaStream_t of this process, or 0.
//
// Lifetimes (Note [lease]):
//   - A pooled buffer's handles are valid while its lease lives: until pool.release(buffer),
//     pool.reset(), pool.clear() or pool.dispose(). After that the same memory may be handed to
//     another buffer; the JavaScript getters throw STALE_BUFFER, but a handle an addon copied
//     earlier does not know it. Never keep a handle past the lease.
//   - GPU work that reads or writes a pooled buffer must complete before its memory is reused:
//     end the lease with pool.reset({ after: device.fence(queue) }) (or release with `after`),
//     passing the queue or stream the work was submitted to.
//   - A direct buffer (device.allocBuffer) keeps its handles until buffer.dispose() or
//     device.dispose().
//   - None of these handles is retained for the addon. An addon that must keep an
//     id<MTLBuffer> object alive beyond the call that received it takes a strong reference
//     (mlx_interop::retainedMetalBuffer below, or any ARC strong variable): that keeps the
//     object, not the lease; the memory is still the pool's to reuse after the lease ends.
//     CUDA and host pointers cannot be retained: hold the lease instead.
//   - The device and queue of nativeHandles are valid until device.dispose(). A user's queue
//     given to attachResidency must stay alive until detachResidency (or device.dispose()).
//   - Hazard tracking (metal): under the pool's arena policy many buffers share one
//     id<MTLBuffer> (a slab), and Metal tracks hazards per MTLBuffer: encoders over unrelated
//     buffers of a tracked slab are ordered as if they overlapped. A pool with
//     arena.untrackedSlabs hands out untracked slabs (MTLResourceHazardTrackingModeUntracked):
//     Metal orders nothing on them, so the addon orders its encoders itself (MTLFence,
//     MTLEvent, or one queue) and fences every reset or release of work in flight.
#pragma once

#include <stdint.h>

namespace mlx_interop {

// The DLPack device types the handles correspond to (dlpack.h's DLDeviceType values).
enum DLDeviceTypeOfHandle : int32_t {
  kHostHandleDLDevice = 1,         // kDLCPU
  kCudaHandleDLDevice = 13,        // kDLCUDAManaged: managed memory, readable from the host
  kMetalHandleDLDevice = 8,        // kDLMetal: the data pointer is an id<MTLBuffer>
};

// A host or CUDA device pointer, `byteOffset` bytes in.
inline void* pointerOf(uint64_t nativeHandle, uint64_t byteOffset = 0) {
  return reinterpret_cast<char*>(static_cast<uintptr_t>(nativeHandle)) + byteOffset;
}

}  // namespace mlx_interop

#if defined(__CUDA_RUNTIME_API_H__) || defined(CUDART_VERSION)
namespace mlx_interop {

// nativeHandle as a CUdeviceptr (the driver API's integer type; same value as the pointer).
inline unsigned long long cudaDevicePointerOf(uint64_t nativeHandle, uint64_t byteOffset = 0) {
  return static_cast<unsigned long long>(nativeHandle + byteOffset);
}

// A stream bigint (0 = the legacy default stream) as a cudaStream_t.
inline cudaStream_t cudaStreamOf(uint64_t stream) {
  return reinterpret_cast<cudaStream_t>(static_cast<uintptr_t>(stream));
}

// The bigint MlxDevice.fence takes for a stream.
inline uint64_t handleOfCudaStream(cudaStream_t stream) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(stream));
}

}  // namespace mlx_interop
#endif

#if defined(__OBJC__)
#import <Metal/Metal.h>
namespace mlx_interop {

// Bridged, not retained: valid for the lease (see Note [lease]). Under ARC, assigning the result
// to a strong variable retains it for that variable's life.
inline id<MTLBuffer> metalBufferOf(uint64_t nativeHandle) {
  return (__bridge id<MTLBuffer>)reinterpret_cast<void*>(static_cast<uintptr_t>(nativeHandle));
}

inline id<MTLDevice> metalDeviceOf(uint64_t deviceHandle) {
  return (__bridge id<MTLDevice>)reinterpret_cast<void*>(static_cast<uintptr_t>(deviceHandle));
}

inline id<MTLCommandQueue> metalQueueOf(uint64_t queueHandle) {
  return (__bridge id<MTLCommandQueue>)reinterpret_cast<void*>(static_cast<uintptr_t>(queueHandle));
}

// The bigint MlxDevice.fence and attachResidency take for a queue the addon made. Not
// retained: the addon keeps its queue alive.
inline uint64_t handleOfMetalQueue(id<MTLCommandQueue> queue) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>((__bridge void*)queue));
}

// A +1 reference the addon owns (CFBridgingRelease or __bridge_transfer gives it back to ARC):
// for code that stores the buffer object outside ARC's view. It keeps the object alive, never
// the lease.
inline void* retainedMetalBuffer(uint64_t nativeHandle) {
  id<MTLBuffer> buffer = metalBufferOf(nativeHandle);
  return (__bridge_retained void*)buffer;
}

}  // namespace mlx_interop
#endif
