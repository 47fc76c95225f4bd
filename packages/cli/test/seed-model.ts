import type { Trace } from "../src/trace.js";

/**
 * An independent model of the seed's policy, written without the pool: classes are the next
 * power of two (0 and 1 map to 1), each class a LIFO free list, a miss makes a fresh buffer of
 * the class size, nothing is ever freed.
 */
export function simulateSeed(trace: Trace, warmupSteps = 3) {
  const classOf = (n: number) => {
    let c = 1;
    while (c < n) c *= 2;
    return c;
  };
  const free = new Map<number, number>(); // class -> count of free buffers
  const live = new Map<number, { bytes: number; capacity: number }>();
  let allocs = 0;
  let releases = 0;
  let resets = 0;
  let fresh = 0;
  let freshAfterWarmup = 0;
  let held = 0;
  let liveBytes = 0;
  let peakLive = 0;
  let peakHeld = 0;
  const giveBack = (capacity: number) => free.set(capacity, (free.get(capacity) ?? 0) + 1);
  trace.steps.forEach((step, s) => {
    for (const op of step) {
      if (op[0] === "a") {
        allocs++;
        const capacity = classOf(op[2]);
        const available = free.get(capacity) ?? 0;
        if (available > 0) free.set(capacity, available - 1);
        else {
          fresh++;
          if (s >= warmupSteps) freshAfterWarmup++;
          held += capacity;
          peakHeld = Math.max(peakHeld, held);
        }
        live.set(op[1], { bytes: op[2], capacity });
        liveBytes += op[2];
        peakLive = Math.max(peakLive, liveBytes);
      } else if (op[0] === "f") {
        releases++;
        const buffer = live.get(op[1]);
        if (buffer === undefined) throw new Error(`model: unknown id ${op[1]}`);
        live.delete(op[1]);
        liveBytes -= buffer.bytes;
        giveBack(buffer.capacity);
      } else {
        resets++;
        for (const buffer of live.values()) giveBack(buffer.capacity);
        live.clear();
        liveBytes = 0;
      }
    }
  });
  return {
    allocs,
    releases,
    resets,
    freshAllocations: fresh,
    freshAfterWarmup,
    peakLiveBytes: peakLive,
    peakHeldBytes: peakHeld,
    footprintRatio: peakHeld / peakLive,
  };
}
