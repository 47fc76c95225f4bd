// The JavaScript class NativeBuffer: one BufferRecord, its zero-copy view and its lease views
// (external ArrayBuffers, all detached before the memory is freed), copying reads and writes,
// destroy().
#pragma once

#include <napi.h>

#include <memory>

#include "buffer_record.h"

namespace mlx {

Napi::Function defineNativeBufferClass(Napi::Env env);

// A new NativeBuffer over `record`.
Napi::Object wrapNativeBuffer(Napi::Env env, std::shared_ptr<BufferRecord> record);

// The record of a NativeBuffer argument, or INVALID_ARGUMENT.
const std::shared_ptr<BufferRecord>& nativeBufferArg(const Napi::CallbackInfo& info,
                                                     size_t index);

}  // namespace mlx
