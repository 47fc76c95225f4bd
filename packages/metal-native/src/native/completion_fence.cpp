#include "completion_fence.h"

#include <atomic>
#include <new>
#include <string>
#include <utility>

#include "errors.h"

namespace mlx {

namespace {

// Lives as long as the thread-safe function: deleted by its finalizer on the JS thread.
struct FenceContext {
  explicit FenceContext(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
};

// Runs on the JavaScript thread. `env` is null when the environment is being torn down, and
// then nothing may touch JavaScript.
void settleOnJsThread(Napi::Env env, Napi::Function, FenceContext* context, FenceResult* raw) {
  std::unique_ptr<FenceResult> result(raw);
  if (env == nullptr || context == nullptr || result == nullptr) return;
  try {
    if (result->ok) {
      context->deferred.Resolve(env.Undefined());
      return;
    }
    Napi::Error error = Napi::Error::New(env, "fence failed: " + result->message);
    error.Set("code", Napi::String::New(env, errorCodeName(ErrorCode::DeviceNotFound)));
    error.Set("value", Napi::String::New(env, result->errorName));
    context->deferred.Reject(error.Value());
  } catch (const Napi::Error&) {
    // Settling only fails while the environment shuts down; nothing is left to tell.
  }
}

using FenceFunction = Napi::TypedThreadSafeFunction<FenceContext, FenceResult, settleOnJsThread>;

class NapiFenceSignal final : public FenceSignal {
 public:
  explicit NapiFenceSignal(FenceFunction function) : function_(function) {}

  // A backend that drops its signal without completing it (it should not) still settles
  // the promise, so an awaiting caller never hangs.
  // The last owner may be a backend's completion handler on a GPU thread: once completed,
  // the destructor builds nothing there.
  ~NapiFenceSignal() override {
    if (done_.load()) return;
    complete(FenceResult::failure("the backend dropped the fence before the GPU work completed",
                                  "FENCE_ABANDONED"));
  }

  void complete(FenceResult result) noexcept override {
    if (done_.exchange(true)) return;
    auto* data = new (std::nothrow) FenceResult(std::move(result));
    // Unbounded queue: NonBlockingCall never waits. After a failed call (the environment is
    // closing) the data is ours to free.
    if (data != nullptr && function_.NonBlockingCall(data) != napi_ok) delete data;
    function_.Release();  // the last thread: the function closes once the call has run
  }

  // For the JavaScript thread only: drop the function without settling (the caller settles
  // the promise itself, or throws before anyone saw it).
  void cancel() noexcept {
    if (done_.exchange(true)) return;
    function_.Release();
  }

 private:
  FenceFunction function_;
  std::atomic<bool> done_{false};
};

}  // namespace

Napi::Promise startFence(Napi::Env env,
                         const std::function<bool(const std::shared_ptr<FenceSignal>&)>& enqueue) {
  auto* context = new FenceContext(env);
  Napi::Promise promise = context->deferred.Promise();
  FenceFunction function;
  try {
    function = FenceFunction::New(env, "mlx-native-fence", 0, 1, context,
                                  [](Napi::Env, void*, FenceContext* owned) { delete owned; });
  } catch (...) {
    delete context;
    throw;
  }
  auto signal = std::make_shared<NapiFenceSignal>(function);
  bool pending = false;
  try {
    pending = enqueue(signal);
  } catch (...) {
    signal->cancel();
    throw;
  }
  if (!pending) {
    context->deferred.Resolve(env.Undefined());
    signal->cancel();
  }
  return promise;
}

}  // namespace mlx
