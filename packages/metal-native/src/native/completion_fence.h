// Completion fences as JavaScript promises. A backend only promises to call
// FenceSignal::complete() once, from any thread (a CUDA waiter thread, a Metal completion
// handler); this file owns the thread-safe trip back to the JavaScript thread
// (a Napi::ThreadSafeFunction) and settles the promise there.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>

#include "backend.h"

namespace mlx {

// Creates the promise and a FenceSignal bound to it, then runs `enqueue(signal)` (a backend's
// enqueueFence). If `enqueue` returns false, the promise is resolved at once; if it throws,
// nothing is left behind and the exception propagates (the caller turns it into a JavaScript
// error). Otherwise the promise settles when the signal completes: resolved with undefined,
// or rejected with an Error whose code is DEVICE_NOT_FOUND and whose value is the native
// error name. The thread-safe function keeps the event loop alive only while the fence is
// pending, so `await device.fence()` works at the end of a script and a settled fence never
// holds the process open.
Napi::Promise startFence(Napi::Env env,
                         const std::function<bool(const std::shared_ptr<FenceSignal>&)>& enqueue);

}  // namespace mlx
