// A custom size policy is user code: a classIndex that throws leaves nothing allocated or evicted.
import { describe, expect, it } from "vitest";
import { pow2, type SizePolicy } from "../src/index.js";
import { fakePool } from "./fake-handles.js";

/** Throws on the `onCall`th classIndex of `capacity` (a hit's lookup is a call too). */
const throwingAt = (capacity: number, onCall: number): SizePolicy => {
  let calls = 0;
  return {
    name: "throws-at",
    bucketSize: (n) => pow2.bucketSize(n),
    classIndex: (c) => {
      if (c === capacity && ++calls === onCall) throw new Error("policy failure");
      return Math.log2(c);
    },
  };
};

describe("a size policy whose classIndex throws", () => {
  it("on a fresh acquire: no allocation, no eviction, counters unchanged", () => {
    const { pool, allocated, destroyed } = fakePool({ policy: throwingAt(4096, 2), maxBuffers: 1 });
    const a = pool.acquire(8);
    pool.release(a, a.generation);
    const before = pool.stats();
    expect(() => pool.acquire(4096)).toThrow("policy failure");
    expect(pool.stats()).toEqual(before);
    expect(allocated.length).toBe(1);
    expect(destroyed.length).toBe(0);
  });

  it("in a batch: nothing allocated, nothing evicted, the reused slot back in place", () => {
    const { pool, allocated, destroyed } = fakePool({ policy: throwingAt(4096, 1), maxBuffers: 2 });
    const a = pool.acquire(8);
    const b = pool.acquire(16);
    pool.release(a, a.generation);
    pool.release(b, b.generation);
    const before = pool.stats();
    expect(() => pool.acquireBatchPrechecked([8, 64, 4096])).toThrow("policy failure");
    expect(pool.stats()).toEqual(before);
    expect(allocated.length).toBe(2);
    expect(destroyed.length).toBe(0);
    expect(pool.acquire(8)).toBe(a);
  });
});
