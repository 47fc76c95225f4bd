import { describe, expect, it } from "vitest";
import { fakePool } from "./fake-handles.js";

describe("maxHeldRatio", () => {
  it("evicts the oldest free buffers before a fresh allocation that would exceed ratio x peak", () => {
    const { pool, destroyed } = fakePool({ maxHeldRatio: 1.5 });
    pool.acquire(1024); // peak in use 1024, held 1024
    pool.reset();
    pool.acquire(512); // held 1024 + 512 = 1536 <= 1.5 x 1024: nothing evicted
    expect(destroyed).toEqual([]);
    pool.acquire(256); // demand 1024 (peak), held would be 1792 > 1536: the free 1024 goes
    expect(destroyed.map((h) => h.capacity)).toEqual([1024]);
    expect(pool.stats()).toMatchObject({ heldBytes: 768, evictions: 1, freeCount: 0 });
  });

  it("keeps held bytes within the ratio when free buffers of other classes pile up", () => {
    const { pool } = fakePool({ maxHeldRatio: 1.25 });
    for (let size = 1024; size <= 64 * 1024; size *= 2) {
      pool.acquire(size);
      pool.reset();
    }
    const { peakHeldBytes, peakInUseBytes } = pool.stats();
    expect(peakInUseBytes).toBe(64 * 1024);
    expect(peakHeldBytes).toBeLessThanOrEqual(1.25 * 64 * 1024);
  });

  it("never touches in-use buffers and does not fail when they alone exceed the ratio", () => {
    const { pool, destroyed } = fakePool({ maxHeldRatio: 1 });
    const a = pool.acquire(1025); // capacity 2048 for 1025 requested bytes
    const b = pool.acquire(1025);
    expect(destroyed).toEqual([]);
    expect(pool.isLive(a, a.generation) && pool.isLive(b, b.generation)).toBe(true);
  });

  it("leaves hits alone: a reused buffer evicts nothing", () => {
    const { pool, destroyed } = fakePool({ maxHeldRatio: 1 });
    pool.acquire(4096);
    pool.reset();
    pool.acquire(4096);
    expect(destroyed).toEqual([]);
    expect(pool.stats().hits).toBe(1);
  });

  it("rejects a ratio below 1", () => {
    expect(() => fakePool({ maxHeldRatio: 0.5 })).toThrow(/maxHeldRatio must be a number >= 1/);
  });
});
