import { describe, expect, it } from "vitest";
import { bucketSize, pow2, pow2Divisions, type SizePolicy } from "../src/index.js";
import { fakePool } from "./fake-handles.js";

/** Every capacity a policy returns for lengths up to `max`, sampled densely near class edges. */
function capacities(policy: SizePolicy, max: number): number[] {
  const out = new Set<number>();
  for (let n = 1; n <= max; n = Math.max(n + 1, Math.floor(n * 1.01)))
    out.add(policy.bucketSize(n));
  for (let k = 1; k <= 53 && 2 ** k <= max; k++) {
    for (const n of [2 ** k - 1, 2 ** k, 2 ** k + 1]) out.add(policy.bucketSize(n));
  }
  return [...out];
}

describe("classIndex", () => {
  it.each([
    ["pow2", pow2],
    ["pow2-div4", pow2Divisions(4)],
    ["pow2-div8 above 4 KiB", pow2Divisions(8, 4096)],
    ["pow2-div16", pow2Divisions(16)],
    ["pow2-div16 above 1 byte (steps below a byte)", pow2Divisions(16, 1)],
    ["pow2-div4 above 1000 (not a power of two)", pow2Divisions(4, 1000)],
  ])("%s gives every capacity its own small non-negative index", (_name, policy) => {
    const caps = capacities(policy, 2 ** 53);
    const indices = caps.map((c) => (policy.classIndex as (c: number) => number).call(policy, c));
    expect(new Set(indices).size).toBe(caps.length);
    for (const i of indices) {
      expect(Number.isInteger(i)).toBe(true);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(2000);
    }
  });

  it("a colliding class index costs speed, never correctness", () => {
    // The natural mistake: spreading pow2 (and its log2 class index) into a finer policy.
    const by256 = {
      ...pow2,
      name: "by-256",
      bucketSize: (n: number) => (n <= 4096 ? bucketSize(n) : Math.ceil(n / 256) * 256),
    };
    const { pool } = fakePool({ policy: by256 });
    const a = pool.acquire(4352);
    pool.reset();
    const b = pool.acquire(4608); // same log2 class as 4352: must not get a's smaller memory
    expect(b.capacity).toBe(4608);
    expect(b.handle).not.toBe(a.handle);
    pool.reset();
    expect(pool.acquire(4352).handle).toBe(a.handle);
    expect(pool.acquire(4608).handle).toBe(b.handle);
  });

  it("a policy without one still works (Map lookups), and one that uses `this` is called as a method", () => {
    const plain: SizePolicy = { name: "plain", bucketSize };
    const { pool: a, allocated: fromPlain } = fakePool({ policy: plain });
    a.reset();
    const x = a.acquire(100);
    a.reset();
    expect(a.acquire(120).handle).toBe(x.handle);
    expect(fromPlain).toHaveLength(1);

    const withThis = {
      name: "with-this",
      offset: 0,
      bucketSize,
      classIndex(this: { offset: number }, capacity: number) {
        return this.offset + Math.log2(capacity);
      },
    };
    const { pool: b } = fakePool({ policy: withThis });
    const y = b.acquire(100);
    b.reset();
    expect(b.acquire(128).handle).toBe(y.handle);
  });
});

describe("the pow2 hit by class index", () => {
  // The default policy's hit computes the class from the length (one clz32), not the capacity:
  // it must find exactly the slot the capacity lookup would, on both sides of 2^30.
  const lengths = [1, 2, 3, 4, 5, 1023, 1024, 1025, 0x4000_0000 - 1, 0x4000_0000, 0x4000_0001];

  it("reuses the slot of each length's class, counting hits", () => {
    const { pool } = fakePool();
    const first = lengths.map((n) => pool.acquire(n));
    expect(first.map((s) => s.capacity)).toEqual(lengths.map((n) => bucketSize(n)));
    pool.reset();
    // Reverse order: each class's LIFO list holds one slot per length that mapped to it.
    const again = [...lengths].reverse().map((n) => pool.acquire(n));
    for (const slot of again) expect(first).toContain(slot);
    for (let i = 0; i < lengths.length; i++) {
      const n = [...lengths].reverse()[i] as number;
      expect((again[i] as (typeof again)[number]).capacity).toBe(bucketSize(n));
    }
    expect(pool.stats()).toMatchObject({ hits: lengths.length, misses: lengths.length });
  });

  it("agrees with the same classes through bucketSize (a policy that is not the built-in one)", () => {
    const a = fakePool();
    const b = fakePool({ policy: { name: "pow2-copy", bucketSize, classIndex: pow2.classIndex } });
    for (const { pool } of [a, b]) {
      for (const n of lengths) pool.acquire(n);
      pool.reset();
      for (const n of [...lengths, ...lengths]) pool.acquire(n);
    }
    expect(b.pool.stats()).toEqual(a.pool.stats());
    expect(b.allocated.map((h) => h.capacity)).toEqual(a.allocated.map((h) => h.capacity));
  });
});
