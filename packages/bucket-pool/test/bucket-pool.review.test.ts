// Cases found in review: homes, custom policies, limits with maxHeldRatio, fence-settle errors.
import { describe, expect, it } from "vitest";
import { BucketPool } from "../src/index.js";
import { codeOf, fakePool, flushMicrotasks, manualFence } from "./fake-handles.js";

describe("homes", () => {
  it("a free slot of one home never serves another", () => {
    const { pool, allocated } = fakePool({ reuseLargerRatio: 4 });
    const a = pool.acquire(64, 1);
    pool.reset();
    const b = pool.acquire(64, 2);
    expect(b.handle).not.toBe(a.handle);
    const c = pool.acquire(32, 2); // a larger free class of home 1 does not count either
    expect(c.handle).not.toBe(a.handle);
    expect(allocated).toHaveLength(3);
    expect(pool.acquire(64, 1).handle).toBe(a.handle);
  });
});

describe("custom size policies", () => {
  it("an object that is not a policy is refused at construction", () => {
    expect(codeOf(() => fakePool({ policy: 42 as never }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => fakePool({ policy: { name: "x" } as never }))).toBe("INVALID_ARGUMENT");
  });

  it.each([
    ["smaller than the request", (n: number) => n - 1],
    ["fractional", (n: number) => n + 0.5],
    ["NaN", () => Number.NaN],
  ])("a capacity %s is INVALID_ARGUMENT and changes nothing", (_name, bucketSize) => {
    const { pool, allocated } = fakePool({ policy: { name: "broken", bucketSize } });
    const before = pool.stats();
    expect(codeOf(() => pool.acquire(16))).toBe("INVALID_ARGUMENT");
    expect(pool.stats()).toEqual(before);
    expect(allocated).toHaveLength(0);
  });
});

describe("limits with maxHeldRatio", () => {
  it("MEMORY_LIMIT is decided before any eviction, so it changes nothing", () => {
    const { pool, destroyed } = fakePool({ maxHeldRatio: 1, maxHeldBytes: 3000 });
    const a = pool.acquire(1024);
    pool.acquire(1024);
    pool.release(a, a.generation);
    const before = pool.stats();
    expect(codeOf(() => pool.acquire(4096))).toBe("MEMORY_LIMIT");
    expect(pool.stats()).toEqual(before);
    expect(destroyed).toHaveLength(0);
  });

  it("does not empty the cache when no eviction can reach the ratio", () => {
    const { pool, destroyed } = fakePool({ maxHeldRatio: 1 });
    const kept = pool.acquire(600); // capacity 1024, in use: ratio 1 is out of reach
    const freed = pool.acquire(64);
    pool.release(freed, freed.generation);
    pool.acquire(700);
    expect(destroyed).toHaveLength(0);
    expect(pool.isLive(kept, kept.generation)).toBe(true);
  });

  it("evicts when that does reach the ratio", () => {
    const { pool, destroyed } = fakePool({ maxHeldRatio: 1.2 });
    const a = pool.acquire(4096);
    pool.release(a, a.generation);
    pool.acquire(2048); // held would be 6144 > 1.2 x 4096 without evicting the free 4096
    expect(destroyed.map((h) => h.capacity)).toEqual([4096]);
  });
});

describe("errors while a fence settles", () => {
  it("are counted and kept, never thrown into the promise chain", async () => {
    let failing = false;
    const pool = new BucketPool<{ id: number }>({
      allocate: () => ({ id: 1 }),
      destroy: () => {
        if (failing) throw new Error("device lost");
      },
    });
    pool.acquire(64);
    const fence = manualFence();
    pool.reset(fence.promise);
    pool.dispose();
    failing = true;
    fence.resolve();
    await flushMicrotasks();
    expect(pool.stats().fenceErrors).toBe(1);
    expect((pool.lastFenceError as Error).message).toBe("device lost");
  });

  it("a slot whose move throws does not keep the rest of its batch pending", async () => {
    let recycled = 0;
    const pool = new BucketPool<{ id: number }>({
      allocate: () => ({ id: 1 }),
      destroy: () => {},
      onRecycle: () => {
        if (++recycled % 2 === 1) throw new Error(`hook ${recycled}`);
      },
    });
    for (let i = 0; i < 5; i++) pool.acquire(64);
    const fence = manualFence();
    pool.reset(fence.promise);
    fence.resolve();
    await flushMicrotasks();
    // Five slots filed, the hook throwing on the 1st, 3rd and 5th: each counted, none left behind.
    expect(recycled).toBe(5);
    expect(pool.stats()).toMatchObject({ fenceErrors: 3, pendingCount: 0, freeCount: 5 });
    expect((pool.lastFenceError as Error).message).toBe("hook 5");
  });
});
