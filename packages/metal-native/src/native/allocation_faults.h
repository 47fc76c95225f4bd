// Test-only fault injection: make the next native allocation fail after N successes, so a
// caller's failure-mid-batch path can be tested without exhausting real memory.
#pragma once

#include <cstdint>

namespace mlx {

// After `successes` more allocations pass, the next one fails with BUFFER_ALLOCATION; the
// fault then disarms itself (one failure per arming). A negative value disarms.
void armAllocationFault(int64_t successes);
void disarmAllocationFault();

// Called once per allocation attempt; true means "fail this one".
bool consumeAllocationFault();

}  // namespace mlx
