// What a limit kept across several pools uses: evictFree, resetPeaks, forEachSlot.
import { describe, expect, it } from "vitest";
import { type Slot, SlotState } from "../src/index.js";
import { fakePool, flushMicrotasks, manualFence } from "./fake-handles.js";

describe("BucketPool.evictFree", () => {
  it("frees at least the bytes asked, least recently freed first when the order is kept", () => {
    const { pool, destroyed } = fakePool({ maxFreeBytes: 1 << 20 });
    const a = pool.acquire(64);
    const b = pool.acquire(128);
    const c = pool.acquire(256);
    pool.release(a, a.generation);
    pool.release(b, b.generation);
    pool.release(c, c.generation);
    expect(pool.evictFree(100)).toBe(64 + 128);
    expect(destroyed.map((h) => h.capacity)).toEqual([64, 128]);
    expect(pool.stats()).toMatchObject({ freeBytes: 256, evictions: 2, heldBytes: 256 });
  });

  it("frees nothing for nothing asked, an empty cache or a disposed pool", () => {
    const { pool } = fakePool();
    expect(pool.evictFree(100)).toBe(0);
    pool.acquire(64);
    pool.reset();
    expect(pool.evictFree(0)).toBe(0);
    expect(pool.evictFree(Number.NaN)).toBe(0);
    expect(pool.evictFree(1 << 30)).toBe(64);
    pool.dispose();
    expect(pool.evictFree(64)).toBe(0);
  });
});

describe("BucketPool.resetPeaks", () => {
  it("sets the peaks to the current figures", () => {
    const { pool } = fakePool();
    const big = pool.acquire(4000);
    pool.acquire(10);
    pool.release(big, big.generation);
    expect(pool.stats()).toMatchObject({ peakInUseBytes: 4010, peakInUseCount: 2 });
    pool.resetPeaks();
    expect(pool.stats()).toMatchObject({
      peakInUseBytes: 10,
      peakInUseCount: 1,
      peakHeldBytes: 4096 + 16,
    });
    pool.evictFree(4096);
    pool.resetPeaks();
    expect(pool.stats().peakHeldBytes).toBe(16);
  });
});

describe("BucketPool.forEachSlot", () => {
  it("visits every slot the pool owns once: in use, free, pending and quarantined", async () => {
    const { pool } = fakePool();
    const inUse = pool.acquire(8);
    const free = pool.acquire(16);
    const pending = pool.acquire(32);
    const rejected = pool.acquire(64);
    pool.release(free, free.generation);
    const fence = manualFence();
    const bad = manualFence();
    pool.release(pending, pending.generation, fence.promise);
    pool.release(rejected, rejected.generation, bad.promise);
    bad.reject(new Error("gpu fault"));
    await flushMicrotasks();
    const seen = new Map<Slot<unknown>, SlotState>();
    pool.forEachSlot((slot) => seen.set(slot, slot.state));
    expect(seen.size).toBe(4);
    expect(seen.get(inUse)).toBe(SlotState.InUse);
    expect(seen.get(free)).toBe(SlotState.Free);
    expect(seen.get(pending)).toBe(SlotState.Pending);
    expect(seen.get(rejected)).toBe(SlotState.Quarantined);
    fence.resolve();
    await flushMicrotasks();
    const after: SlotState[] = [];
    pool.forEachSlot((slot) => after.push(slot.state));
    expect(after.sort()).toEqual(
      [SlotState.Free, SlotState.Free, SlotState.InUse, SlotState.Quarantined].sort(),
    );
  });
});
