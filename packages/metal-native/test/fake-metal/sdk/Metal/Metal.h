// Stand-in for the slice of Metal that metal_backend.mm uses: selectors, types and
// availability as Apple's documentation gives them (each names its page under
// https://developer.apple.com/documentation/metal/). A selector missing here is a compile
// error in the backend, so the stub only grows with the backend.
#pragma once
#include <Foundation/Foundation.h>
NS_ASSUME_NONNULL_BEGIN
// https://developer.apple.com/documentation/metal/mtlresourceoptions
// An NS_OPTIONS type: in C++ the type is NSUInteger itself, so options combine with `|`.
typedef NSUInteger MTLResourceOptions;
enum : NSUInteger {
  // https://developer.apple.com/documentation/metal/mtlresourceoptions/storagemodeshared
  MTLResourceStorageModeShared = 0,
  // https://developer.apple.com/documentation/metal/mtlresourceoptions/hazardtrackingmodeuntracked
  // MTLHazardTrackingModeUntracked (1) << MTLResourceHazardTrackingModeShift (8); macOS 10.13.
  MTLResourceHazardTrackingModeUntracked API_AVAILABLE(macos(10.13)) = 1 << 8,
};
// https://developer.apple.com/documentation/metal/mtlcommandbufferstatus
typedef enum : NSUInteger {
  MTLCommandBufferStatusNotEnqueued = 0,
  MTLCommandBufferStatusEnqueued = 1,
  MTLCommandBufferStatusCommitted = 2,
  MTLCommandBufferStatusScheduled = 3,
  MTLCommandBufferStatusCompleted = 4,
  MTLCommandBufferStatusError = 5,
} MTLCommandBufferStatus;
// https://developer.apple.com/documentation/metal/mtlcommandbuffererror-swift.struct/code
typedef enum : NSUInteger {
  MTLCommandBufferErrorNone = 0,
  MTLCommandBufferErrorInternal = 1,
  MTLCommandBufferErrorTimeout = 2,
  MTLCommandBufferErrorPageFault = 3,
  MTLCommandBufferErrorAccessRevoked = 4,
  MTLCommandBufferErrorNotPermitted = 7,
  MTLCommandBufferErrorOutOfMemory = 8,
  MTLCommandBufferErrorInvalidResource = 9,
  MTLCommandBufferErrorMemoryless = 10,
  MTLCommandBufferErrorDeviceRemoved = 11,
  MTLCommandBufferErrorStackOverflow = 12,
} MTLCommandBufferError;
// https://developer.apple.com/documentation/metal/mtlgpufamily
typedef enum : NSInteger {
  MTLGPUFamilyApple7 = 1007,
  MTLGPUFamilyMac2 = 2002,
  MTLGPUFamilyMetal3 = 5001,
} MTLGPUFamily;
@protocol MTLDevice;
@protocol MTLCommandBuffer;
// https://developer.apple.com/documentation/metal/mtlsize
typedef struct { NSUInteger width, height, depth; } MTLSize;
static inline MTLSize MTLSizeMake(NSUInteger w, NSUInteger h, NSUInteger d) { MTLSize s = {w, h, d}; return s; }
// https://developer.apple.com/documentation/metal/mtlfunction
@protocol MTLFunction <NSObject>
@property (readonly) NSString* name;
@end
// https://developer.apple.com/documentation/metal/mtllibrary
@protocol MTLLibrary <NSObject>
// https://developer.apple.com/documentation/metal/mtllibrary/makefunction(name:)
- (nullable id<MTLFunction>)newFunctionWithName:(NSString*)functionName;
@end
// https://developer.apple.com/documentation/metal/mtlcompileoptions
@interface MTLCompileOptions : NSObject
@end
// https://developer.apple.com/documentation/metal/mtlcomputepipelinestate
@protocol MTLComputePipelineState <NSObject>
@property (readonly) NSUInteger maxTotalThreadsPerThreadgroup;
@end
// https://developer.apple.com/documentation/metal/mtlallocation
@protocol MTLAllocation <NSObject>
@property (readonly) NSUInteger allocatedSize;
@end
// https://developer.apple.com/documentation/metal/mtlresource
@protocol MTLResource <MTLAllocation>
@property (nullable, copy, atomic) NSString* label;
@end
// https://developer.apple.com/documentation/metal/mtlbuffer
@protocol MTLBuffer <MTLResource>
// https://developer.apple.com/documentation/metal/mtlbuffer/length
@property (readonly) NSUInteger length;
// https://developer.apple.com/documentation/metal/mtlbuffer/contents()
- (void*)contents __attribute__((objc_returns_inner_pointer));
// https://developer.apple.com/documentation/metal/mtlbuffer/gpuaddress
@property (readonly) uint64_t gpuAddress API_AVAILABLE(macos(13.0));
@end
// https://developer.apple.com/documentation/metal/mtlresidencysetdescriptor
API_AVAILABLE(macos(15.0))
@interface MTLResidencySetDescriptor : NSObject
@property (nullable, copy, nonatomic) NSString* label;
@property (nonatomic) NSUInteger initialCapacity;
@end
// https://developer.apple.com/documentation/metal/mtlresidencyset
// addAllocation:/removeAllocation:/removeAllAllocations stage changes; commit applies them.
API_AVAILABLE(macos(15.0))
@protocol MTLResidencySet <NSObject>
// https://developer.apple.com/documentation/metal/mtlresidencyset/addallocation(_:)
- (void)addAllocation:(id<MTLAllocation>)allocation;
// https://developer.apple.com/documentation/metal/mtlresidencyset/removeallocation(_:)
- (void)removeAllocation:(id<MTLAllocation>)allocation;
// https://developer.apple.com/documentation/metal/mtlresidencyset/removeallallocations()
- (void)removeAllAllocations;
// https://developer.apple.com/documentation/metal/mtlresidencyset/commit()
- (void)commit;
// https://developer.apple.com/documentation/metal/mtlresidencyset/requestresidency()
- (void)requestResidency;
// https://developer.apple.com/documentation/metal/mtlresidencyset/endresidency()
- (void)endResidency;
@end
// https://developer.apple.com/documentation/metal/mtlcomputecommandencoder
@protocol MTLComputeCommandEncoder <NSObject>
- (void)setComputePipelineState:(id<MTLComputePipelineState>)state;
// https://developer.apple.com/documentation/metal/mtlcomputecommandencoder/setbuffer(_:offset:index:)
- (void)setBuffer:(nullable id<MTLBuffer>)buffer offset:(NSUInteger)offset atIndex:(NSUInteger)index;
// https://developer.apple.com/documentation/metal/mtlcomputecommandencoder/setbytes(_:length:index:)
- (void)setBytes:(const void*)bytes length:(NSUInteger)length atIndex:(NSUInteger)index;
// https://developer.apple.com/documentation/metal/mtlcomputecommandencoder/dispatchthreads(_:threadsperthreadgroup:)
- (void)dispatchThreads:(MTLSize)threadsPerGrid threadsPerThreadgroup:(MTLSize)threadsPerThreadgroup;
- (void)endEncoding;
@end
typedef void (^MTLCommandBufferHandler)(id<MTLCommandBuffer>);
// https://developer.apple.com/documentation/metal/mtlcommandbuffer
@protocol MTLCommandBuffer <NSObject>
@property (nullable, copy, atomic) NSString* label;
// https://developer.apple.com/documentation/metal/mtlcommandbuffer/status
@property (readonly) MTLCommandBufferStatus status;
// https://developer.apple.com/documentation/metal/mtlcommandbuffer/error
@property (nullable, readonly) NSError* error;
// https://developer.apple.com/documentation/metal/mtlcommandbuffer/addcompletedhandler(_:)
// The handler runs on a thread Metal chooses, never the one that committed.
- (void)addCompletedHandler:(MTLCommandBufferHandler)block;
// https://developer.apple.com/documentation/metal/mtlcommandbuffer/commit()
- (void)commit;
// https://developer.apple.com/documentation/metal/mtlcommandbuffer/makecomputecommandencoder()
- (nullable id<MTLComputeCommandEncoder>)computeCommandEncoder;
// https://developer.apple.com/documentation/metal/mtlcommandbuffer/waituntilcompleted()
- (void)waitUntilCompleted;
@end
// https://developer.apple.com/documentation/metal/mtlcommandqueue
@protocol MTLCommandQueue <NSObject>
// https://developer.apple.com/documentation/metal/mtlcommandqueue/device
@property (readonly) id<MTLDevice> device;
// https://developer.apple.com/documentation/metal/mtlcommandqueue/makecommandbuffer()
- (nullable id<MTLCommandBuffer>)commandBuffer;
// https://developer.apple.com/documentation/metal/mtlcommandqueue/addresidencyset(_:)
// "You can add up to 32 different residency sets to a command queue."
- (void)addResidencySet:(id<MTLResidencySet>)residencySet API_AVAILABLE(macos(15.0));
// https://developer.apple.com/documentation/metal/mtlcommandqueue/removeresidencyset(_:)
- (void)removeResidencySet:(id<MTLResidencySet>)residencySet API_AVAILABLE(macos(15.0));
@end
// https://developer.apple.com/documentation/metal/mtldevice
@protocol MTLDevice <NSObject>
@property (readonly) NSString* name;
@property (readonly) NSUInteger maxBufferLength;
@property (readonly) BOOL hasUnifiedMemory;
@property (readonly) uint64_t recommendedMaxWorkingSetSize;
// https://developer.apple.com/documentation/metal/mtldevice/supportsfamily(_:)
- (BOOL)supportsFamily:(MTLGPUFamily)gpuFamily;
// https://developer.apple.com/documentation/metal/mtldevice/makebuffer(length:options:)
// "Creates a buffer the method clears with zero values."
- (nullable id<MTLBuffer>)newBufferWithLength:(NSUInteger)length options:(MTLResourceOptions)options;
// https://developer.apple.com/documentation/metal/mtldevice/makecommandqueue()
- (nullable id<MTLCommandQueue>)newCommandQueue;
// https://developer.apple.com/documentation/metal/mtldevice/makelibrary(source:options:)
// MSL compiled at run time. The fake "compiles" a kernel whose name a stand-in was registered
// for (fake::registerKernel) and that the source declares as `kernel void NAME(`.
- (nullable id<MTLLibrary>)newLibraryWithSource:(NSString*)source
                                        options:(nullable MTLCompileOptions*)options
                                          error:(NSError**)error;
// https://developer.apple.com/documentation/metal/mtldevice/makecomputepipelinestate(function:)
- (nullable id<MTLComputePipelineState>)newComputePipelineStateWithFunction:(id<MTLFunction>)function
                                                                     error:(NSError**)error;
// https://developer.apple.com/documentation/metal/mtldevice/makeresidencyset(descriptor:)
- (nullable id<MTLResidencySet>)newResidencySetWithDescriptor:(MTLResidencySetDescriptor*)desc
                                                        error:(NSError**)error API_AVAILABLE(macos(15.0));
@end
#ifdef __cplusplus
extern "C" {
#endif
// https://developer.apple.com/documentation/metal/mtlcreatesystemdefaultdevice()
id<MTLDevice> _Nullable MTLCreateSystemDefaultDevice(void) __attribute__((ns_returns_retained));
// https://developer.apple.com/documentation/metal/mtlcopyalldevices()
NSArray<id<MTLDevice>>* MTLCopyAllDevices(void) __attribute__((ns_returns_retained));
#ifdef __cplusplus
}
#endif
NS_ASSUME_NONNULL_END
