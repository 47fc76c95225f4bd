// Stand-in for the slice of Foundation that metal_backend.mm uses, declared as Apple's
// documentation declares it (https://developer.apple.com/documentation/foundation).
#pragma once
#include <Availability.h>
#include <stdint.h>
#define API_AVAILABLE(x) __STUB_AVAILABLE_##x
#define __STUB_AVAILABLE_macos(v) __attribute__((availability(macos, introduced = v)))
typedef unsigned long NSUInteger;
typedef long NSInteger;
typedef signed char BOOL;
#define nil nullptr
#define YES ((BOOL)1)
#define NO ((BOOL)0)
#define NS_ASSUME_NONNULL_BEGIN _Pragma("clang assume_nonnull begin")
#define NS_ASSUME_NONNULL_END _Pragma("clang assume_nonnull end")
// https://developer.apple.com/documentation/foundation/nsoperatingsystemversion
typedef struct { NSInteger majorVersion, minorVersion, patchVersion; } NSOperatingSystemVersion;
NS_ASSUME_NONNULL_BEGIN
@protocol NSObject

@end
__attribute__((objc_root_class))
@interface NSObject <NSObject>
+ (instancetype)alloc;
- (instancetype)init;
+ (instancetype)new;
@end
// https://developer.apple.com/documentation/foundation/nsstring
@interface NSString : NSObject
// https://developer.apple.com/documentation/foundation/nsstring/init(utf8string:)
+ (nullable instancetype)stringWithUTF8String:(const char*)s;
// https://developer.apple.com/documentation/foundation/nsstring/utf8string
@property (nullable, readonly) const char* UTF8String __attribute__((objc_returns_inner_pointer));
@end
// https://developer.apple.com/documentation/foundation/nsarray
@interface NSArray<ObjectType> : NSObject
// https://developer.apple.com/documentation/foundation/nsarray/count
@property (readonly) NSUInteger count;
// https://developer.apple.com/documentation/foundation/nsarray/object(at:)
- (ObjectType)objectAtIndex:(NSUInteger)index;
@end
// https://developer.apple.com/documentation/foundation/nserror
@interface NSError : NSObject
// https://developer.apple.com/documentation/foundation/nserror/code
@property (readonly) NSInteger code;
// https://developer.apple.com/documentation/foundation/nserror/localizeddescription
@property (readonly, copy) NSString* localizedDescription;
@end
// https://developer.apple.com/documentation/foundation/processinfo
@interface NSProcessInfo : NSObject
@property (class, readonly, strong) NSProcessInfo* processInfo;
// https://developer.apple.com/documentation/foundation/processinfo/operatingsystemversion
@property (readonly) NSOperatingSystemVersion operatingSystemVersion;
@end
NS_ASSUME_NONNULL_END
