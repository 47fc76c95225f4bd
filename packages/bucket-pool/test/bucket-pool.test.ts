import { describe, expect, it } from "vitest";
import { BucketPool, Lease, type MlxError, pow2Divisions, SlotState } from "../src/index.js";
import { codeOf, fakePool, flushMicrotasks, manualFence } from "./fake-handles.js";

describe("BucketPool: reuse", () => {
  it("allocates fresh at bucket size, then reuses the same handle after reset (LIFO)", () => {
    const { pool, allocated } = fakePool();
    const a = pool.acquire(1000);
    const b = pool.acquire(1000);
    expect(a.capacity).toBe(1024);
    expect(allocated.map((h) => h.capacity)).toEqual([1024, 1024]);
    pool.reset();
    expect(pool.stats()).toMatchObject({ inUseCount: 0, freeCount: 2, freeBytes: 2048 });
    const c = pool.acquire(600);
    const d = pool.acquire(1024);
    expect(allocated).toHaveLength(2);
    expect(new Set([c.handle, d.handle])).toEqual(new Set([a.handle, b.handle]));
    expect(pool.stats()).toMatchObject({ hits: 2, misses: 2, inUseCount: 2, inUseBytes: 1624 });
  });

  it("does not serve one size class from another by default", () => {
    const { pool, allocated } = fakePool();
    pool.acquire(4096);
    pool.reset();
    pool.acquire(2048);
    expect(allocated.map((h) => h.capacity)).toEqual([4096, 2048]);
  });

  it("reuses a larger class within reuseLargerRatio", () => {
    const { pool, allocated } = fakePool({ reuseLargerRatio: 2 });
    const big = pool.acquire(4096);
    pool.acquire(1 << 20);
    pool.reset();
    const small = pool.acquire(2048);
    expect(small.handle).toBe(big.handle);
    pool.acquire(1024); // 4096 is now taken, 1 MiB is too large: fresh
    expect(allocated.map((h) => h.capacity)).toEqual([4096, 1 << 20, 1024]);
  });

  it("empty resets are idempotent", () => {
    const { pool } = fakePool();
    pool.reset();
    pool.reset();
    expect(pool.stats()).toMatchObject({ inUseCount: 0, freeCount: 0, heldBytes: 0, resets: 2 });
  });

  it("uses the configured policy", () => {
    const { pool } = fakePool({ policy: pow2Divisions(4, 1024) });
    expect(pool.acquire(1025).capacity).toBe(1280);
  });
});

describe("BucketPool: release and leases", () => {
  it("release returns one slot in O(1) and removes it from in-use", () => {
    const { pool } = fakePool();
    const slots = [pool.acquire(8), pool.acquire(8), pool.acquire(16)];
    const [first] = slots;
    pool.release(first!, first!.generation);
    expect(pool.stats()).toMatchObject({ inUseCount: 2, freeCount: 1, releases: 1 });
    const again = pool.acquire(8);
    expect(again).toBe(first);
    pool.reset();
    expect(pool.stats()).toMatchObject({ inUseCount: 0, freeCount: 3 });
  });

  it("release then reset never files a slot twice (the seed's aliasing bug)", () => {
    const { pool } = fakePool();
    const a = pool.acquire(64);
    pool.release(a, a.generation);
    pool.reset();
    const x = pool.acquire(64);
    const y = pool.acquire(64);
    expect(x.handle).not.toBe(y.handle);
    expect(pool.stats().freeCount).toBe(0);
  });

  it("a double release is STALE_BUFFER and changes nothing", () => {
    const { pool } = fakePool();
    const a = pool.acquire(64);
    const generation = a.generation;
    pool.release(a, generation);
    const before = pool.stats();
    expect(codeOf(() => pool.release(a, generation))).toBe("STALE_BUFFER");
    expect(pool.stats()).toEqual(before);
  });

  it("a lease from before a reset is stale even after its slot is reissued", () => {
    const { pool } = fakePool();
    const old = new Lease(pool, 100);
    pool.reset();
    const fresh = new Lease(pool, 100);
    expect(old.stale).toBe(true);
    expect(fresh.stale).toBe(false);
    expect(codeOf(() => old.handle)).toBe("STALE_BUFFER");
    const before = pool.stats();
    expect(codeOf(() => old.release())).toBe("STALE_BUFFER");
    expect(pool.stats()).toEqual(before);
    expect(fresh.handle.capacity).toBe(128);
  });

  it("a slot of another pool is INVALID_ARGUMENT and changes nothing in either", () => {
    const one = fakePool().pool;
    const other = fakePool().pool;
    one.acquire(8);
    const foreign = other.acquire(8);
    const before = [one.stats(), other.stats()];
    expect(codeOf(() => one.release(foreign, foreign.generation))).toBe("INVALID_ARGUMENT");
    expect([one.stats(), other.stats()]).toEqual(before);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2])(
    "acquire(%s) is INVALID_ARGUMENT and changes nothing",
    (bad) => {
      const { pool, allocated } = fakePool();
      pool.acquire(8);
      const before = pool.stats();
      expect(codeOf(() => pool.acquire(bad))).toBe("INVALID_ARGUMENT");
      expect(pool.stats()).toEqual(before);
      expect(allocated).toHaveLength(1);
    },
  );

  it("a failing allocate leaves the pool unchanged", () => {
    const fake = fakePool();
    fake.pool.acquire(8);
    const before = fake.pool.stats();
    fake.failNextAllocation();
    expect(() => fake.pool.acquire(4096)).toThrow("injected allocation failure");
    expect(fake.pool.stats()).toEqual(before);
  });

  it("a batch whose finish throws is undone: fresh slots destroyed, reused ones back in place", () => {
    const { pool, destroyed } = fakePool();
    const kept = pool.acquire(8);
    pool.release(kept, kept.generation);
    const before = pool.stats();
    expect(() =>
      pool.acquireBatchPrechecked([8, 32], 0, () => {
        throw new Error("commit failed");
      }),
    ).toThrow("commit failed");
    expect(pool.stats()).toEqual(before);
    expect(destroyed.map((h) => h.capacity)).toEqual([32]);
    expect(pool.acquire(8)).toBe(kept);
  });
});

describe("BucketPool: clear, cache limit, limits, dispose", () => {
  it("clear destroys free slots now and keeps in-use ones", () => {
    const { pool, destroyed } = fakePool();
    const live = pool.acquire(8);
    const freed = pool.acquire(16);
    pool.release(freed, freed.generation);
    expect(pool.clear()).toBe(1);
    expect(destroyed.map((h) => h.capacity)).toEqual([16]);
    expect(pool.stats()).toMatchObject({ freeCount: 0, freeBytes: 0, inUseCount: 1, heldBytes: 8 });
    expect(pool.isLive(live, live.generation)).toBe(true);
  });

  it("maxFreeBytes evicts least recently used free slots first", () => {
    const { pool, destroyed } = fakePool({ maxFreeBytes: 3100 });
    const a = pool.acquire(1024);
    const b = pool.acquire(2048);
    const c = pool.acquire(1024);
    pool.release(a, a.generation);
    pool.release(b, b.generation);
    expect(destroyed).toHaveLength(0);
    pool.release(c, c.generation); // free = 4096 > 3100: a goes first (oldest)
    expect(destroyed.map((h) => h.id)).toEqual([a.handle.id]);
    expect(pool.stats()).toMatchObject({ freeBytes: 3072, evictions: 1 });
  });

  it("maxBuffers evicts free slots to make room, then fails with MEMORY_LIMIT naming reset", () => {
    const { pool } = fakePool({ maxBuffers: 2 });
    const a = pool.acquire(8);
    pool.acquire(8);
    pool.release(a, a.generation);
    pool.acquire(64); // evicts the free 8
    expect(pool.stats()).toMatchObject({ heldCount: 2, evictions: 1 });
    const before = pool.stats();
    let error: unknown;
    try {
      pool.acquire(128);
    } catch (e) {
      error = e;
    }
    expect((error as MlxError).code).toBe("MEMORY_LIMIT");
    expect((error as MlxError).message).toMatch(/reset\(\)/);
    expect((error as MlxError).message).toMatch(/2 buffers \(maxBuffers 2\)/);
    expect(pool.stats()).toEqual(before);
  });

  it("maxHeldBytes bounds the bytes held", () => {
    const { pool } = fakePool({ maxHeldBytes: 4096 });
    pool.acquire(4096);
    expect(codeOf(() => pool.acquire(1))).toBe("MEMORY_LIMIT");
  });

  it("dispose destroys everything once, makes leases stale and refuses further use", () => {
    const { pool, allocated, destroyed } = fakePool();
    const live = new Lease(pool, 8);
    const freed = pool.acquire(16);
    pool.release(freed, freed.generation);
    pool.dispose();
    pool.dispose();
    expect(destroyed).toHaveLength(allocated.length);
    expect(live.stale).toBe(true);
    expect(codeOf(() => pool.acquire(8))).toBe("DISPOSED");
    expect(codeOf(() => pool.reset())).toBe("DISPOSED");
  });

  it("rejects bad options", () => {
    expect(codeOf(() => fakePool({ maxFreeBytes: -1 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => fakePool({ maxBuffers: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new BucketPool({} as never))).toBe("INVALID_ARGUMENT");
  });
});

describe("BucketPool: fences", () => {
  it("a fenced reset keeps slots out of circulation until the fence resolves", async () => {
    const { pool, allocated } = fakePool();
    const a = pool.acquire(64);
    const fence = manualFence();
    pool.reset(fence.promise);
    expect(pool.isLive(a, a.generation)).toBe(false);
    expect(pool.stats()).toMatchObject({ pendingCount: 1, pendingBytes: 64, freeCount: 0 });
    const b = pool.acquire(64);
    expect(b.handle).not.toBe(a.handle);
    fence.resolve();
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, freeCount: 1 });
    expect(pool.acquire(64).handle).toBe(a.handle);
    expect(allocated).toHaveLength(2);
  });

  it("a fenced reset's slots read Pending where enumerated, and no generation makes them live", async () => {
    const { pool } = fakePool();
    const a = pool.acquire(64);
    const leased = a.generation;
    const b = pool.acquire(32);
    const fence = manualFence();
    pool.reset(fence.promise);
    const c = pool.acquire(64);
    // Neither the lease's generation nor the slot's next one names a live lease.
    for (const g of [leased, a.generation]) expect(pool.isLive(a, g)).toBe(false);
    const before = pool.stats();
    expect(codeOf(() => pool.release(a, leased))).toBe("STALE_BUFFER");
    expect(codeOf(() => pool.release(a, a.generation))).toBe("INVALID_ARGUMENT");
    expect(pool.stats()).toEqual(before);
    const seen = new Map<unknown, SlotState>();
    pool.forEachSlot((slot) => seen.set(slot, slot.state));
    expect(seen.get(a)).toBe(SlotState.Pending);
    expect(seen.get(b)).toBe(SlotState.Pending);
    expect(seen.get(c)).toBe(SlotState.InUse);
    expect(pool.isLive(c, c.generation)).toBe(true);
    fence.resolve();
    await flushMicrotasks();
    pool.forEachSlot((slot) => seen.set(slot, slot.state));
    expect(seen.get(a)).toBe(SlotState.Free);
    expect(pool.stats()).toMatchObject({ pendingCount: 0, freeCount: 2 });
  });

  it("a rejected fence quarantines its slots until clear", async () => {
    const { pool, destroyed } = fakePool();
    const a = pool.acquire(64);
    const fence = manualFence();
    pool.release(a, a.generation, fence.promise);
    fence.reject(new Error("command buffer failed"));
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ quarantinedCount: 1, quarantinedBytes: 64, freeCount: 0 });
    expect(pool.acquire(64).handle).not.toBe(a.handle);
    pool.clear();
    expect(destroyed.map((h) => h.id)).toEqual([a.handle.id]);
    expect(pool.stats().quarantinedCount).toBe(0);
  });

  it("dispose defers destroying pending slots until their fence settles", async () => {
    const { pool, destroyed } = fakePool();
    const a = pool.acquire(64);
    const fence = manualFence();
    pool.reset(fence.promise);
    pool.dispose();
    expect(destroyed).toHaveLength(0);
    fence.resolve();
    await flushMicrotasks();
    expect(destroyed.map((h) => h.id)).toEqual([a.handle.id]);
  });

  it("observes the fence of an empty reset, so its rejection is never unhandled", async () => {
    const { pool } = fakePool();
    const fence = manualFence();
    pool.reset(fence.promise);
    fence.reject(new Error("command buffer failed"));
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, quarantinedCount: 0, resets: 1 });
  });

  it("a non-thenable fence is INVALID_ARGUMENT and changes nothing", () => {
    const { pool } = fakePool();
    const a = pool.acquire(64);
    const before = pool.stats();
    expect(codeOf(() => pool.reset(42 as never))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => pool.release(a, a.generation, {} as never))).toBe("INVALID_ARGUMENT");
    expect(pool.stats()).toEqual(before);
    expect(pool.isLive(a, a.generation)).toBe(true);
  });
});
