#include "allocation_faults.h"

#include <atomic>

namespace mlx {

namespace {
// -1 = disarmed; otherwise the number of allocations still allowed to succeed. Atomic
// because worker threads may load the addon too.
std::atomic<int64_t> remainingSuccesses{-1};
}  // namespace

void armAllocationFault(int64_t successes) { remainingSuccesses = successes < 0 ? -1 : successes; }

void disarmAllocationFault() { remainingSuccesses = -1; }

bool consumeAllocationFault() {
  int64_t remaining = remainingSuccesses.load();
  while (remaining >= 0) {
    const int64_t next = remaining == 0 ? -1 : remaining - 1;
    if (remainingSuccesses.compare_exchange_weak(remaining, next)) return remaining == 0;
  }
  return false;
}

}  // namespace mlx
