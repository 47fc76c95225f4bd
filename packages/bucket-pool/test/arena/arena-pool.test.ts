import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ArenaBlock, ArenaPool, type ArenaPoolOptions, MlxError } from "../../src/index.js";

interface FakeSlab {
  readonly id: number;
  readonly bytes: number;
  readonly source: number;
  freed: boolean;
}

function fakePool(options: Partial<ArenaPoolOptions<FakeSlab, number>> = {}) {
  const made: FakeSlab[] = [];
  let failNext = false;
  const pool = new ArenaPool<FakeSlab, number>({
    allocateSlab(bytes, source) {
      if (failNext) {
        failNext = false;
        throw new Error("injected slab failure");
      }
      const slab = { id: made.length + 1, bytes, source, freed: false };
      made.push(slab);
      return slab;
    },
    freeSlab(slab) {
      if (slab.freed) throw new Error(`double free of slab ${slab.id}`);
      slab.freed = true;
    },
    ...options,
  });
  return {
    pool,
    made,
    held: () => made.filter((s) => !s.freed).reduce((n, s) => n + s.bytes, 0),
    failNextSlab: () => {
      failNext = true;
    },
  };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MlxError);
    return (error as MlxError).code;
  }
  return "none";
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("ArenaPool", () => {
  it("keeps one arena per source: ranges of one source never lie in another's slab", () => {
    const { pool, made } = fakePool();
    const a = pool.acquire(1000, 1);
    const b = pool.acquire(1000, 2);
    expect(a.handle.source).toBe(1);
    expect(b.handle.source).toBe(2);
    expect(made).toHaveLength(2);
    expect(pool.arenaEntries().map(([source]) => source)).toEqual([1, 2]);
    pool.dispose();
    expect(made.every((s) => s.freed)).toBe(true);
  });

  it("release is O(1) and LIFO-recycles; a stale or foreign lease throws and changes nothing", () => {
    const { pool } = fakePool();
    const other = fakePool().pool;
    const a = pool.acquire(5000);
    const gen = a.generation;
    pool.release(a, gen);
    expect(pool.isLive(a, gen)).toBe(false);
    const before = pool.stats();
    expect(code(() => pool.release(a, gen))).toBe("STALE_BUFFER");
    const foreign = other.acquire(5000);
    expect(code(() => pool.release(foreign, foreign.generation))).toBe("INVALID_ARGUMENT");
    expect(code(() => pool.release({} as ArenaBlock<FakeSlab>, 0))).toBe("INVALID_ARGUMENT");
    expect(pool.stats()).toEqual(before);
    const b = pool.acquire(4900);
    expect(b.offset).toBe(a.offset);
    expect(pool.stats()).toMatchObject({ hits: 1, misses: 1, releases: 1 });
    expect(pool.stats().arena).toMatchObject({ freshAllocations: 1, recycledAllocations: 1 });
    pool.dispose();
    other.dispose();
  });

  it("reset makes every lease stale and returns every range", () => {
    const { pool } = fakePool();
    const leases = [100, 20_000, 300_000].map((n) => {
      const block = pool.acquire(n);
      return { block, generation: block.generation };
    });
    pool.reset();
    for (const { block, generation } of leases) expect(pool.isLive(block, generation)).toBe(false);
    expect(pool.stats()).toMatchObject({ inUseCount: 0, inUseBytes: 0, resets: 1 });
    expect(pool.freeByteLength).toBe(pool.heldByteLength);
    expect(pool.clear()).toBe(1);
    expect(pool.stats()).toMatchObject({ heldBytes: 0, heldCount: 0, destroyed: 1 });
    pool.dispose();
  });

  it("a fenced range stays allocated until the fence settles; a rejected one until clear", async () => {
    const { pool } = fakePool();
    const a = pool.acquire(40_000);
    const fence = deferred();
    pool.release(a, a.generation, fence.promise);
    expect(pool.stats()).toMatchObject({ pendingCount: 1, pendingBytes: a.size });
    const b = pool.acquire(40_000);
    expect(b.offset).not.toBe(a.offset);
    fence.reject(new Error("gpu fault"));
    await tick();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, quarantinedCount: 1 });
    pool.release(b, b.generation);
    const c = pool.acquire(40_000);
    expect(c.offset).not.toBe(a.offset);
    pool.release(c, c.generation);
    pool.clear();
    expect(pool.stats()).toMatchObject({ quarantinedCount: 0, heldCount: 0 });
    pool.dispose();
  });

  it("dispose waits for pending fences before freeing the slabs they protect", async () => {
    const { pool, made } = fakePool();
    const a = pool.acquire(1000);
    const fence = deferred();
    pool.reset(fence.promise);
    pool.dispose();
    expect(made[0]?.freed).toBe(false);
    expect(pool.isLive(a, a.generation)).toBe(false);
    fence.resolve();
    await tick();
    expect(made[0]?.freed).toBe(true);
  });

  it("a freeSlab that throws while a fence settles is counted, never thrown", async () => {
    const { pool } = fakePool({
      freeSlab() {
        throw new Error("free failed");
      },
      maxFreeBytes: 0,
    });
    const a = pool.acquire(1000);
    const fence = deferred();
    pool.release(a, a.generation, fence.promise);
    fence.resolve();
    await tick();
    expect(pool.stats().fenceErrors).toBe(1);
    expect(pool.lastFenceError).toBeInstanceOf(Error);
  });

  it("limits: maxHeldBytes over all sources and maxBuffers over leases, each changing nothing", () => {
    const { pool } = fakePool({ maxHeldBytes: 2 << 20, maxBuffers: 4 });
    pool.acquire(1000, 1);
    pool.acquire(1000, 2);
    const before = pool.stats();
    expect(code(() => pool.acquire(1000, 3))).toBe("MEMORY_LIMIT");
    expect(pool.stats()).toEqual(before);
    pool.acquire(1000, 1);
    pool.acquire(1000, 1);
    expect(code(() => pool.acquire(1000, 1))).toBe("MEMORY_LIMIT");
    pool.dispose();
  });

  it("a throwing allocateSlab leaves every lease and counter as it was", () => {
    const { pool, failNextSlab } = fakePool();
    const a = pool.acquire(1000);
    const before = pool.stats();
    failNextSlab();
    expect(() => pool.acquire(5 << 20)).toThrow("injected slab failure");
    expect(pool.stats()).toEqual(before);
    expect(pool.isLive(a, a.generation)).toBe(true);
    pool.dispose();
  });

  it("undoAcquire returns a range a failed batch took, and restoreCounters its counters", () => {
    const { pool } = fakePool();
    const mark = pool.markCounters();
    const a = pool.acquire(1000);
    pool.undoAcquire(a);
    pool.restoreCounters(mark);
    expect(pool.stats()).toMatchObject({ inUseCount: 0, hits: 0, misses: 0 });
    expect(pool.stats().arena.freshAllocations).toBe(0);
    pool.dispose();
  });

  it("refuses options without meaning here and bad arena options, naming the value", () => {
    const base = { allocateSlab: () => ({}), freeSlab: () => {} };
    expect(code(() => new ArenaPool({ ...base, reuseLargerRatio: 2 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new ArenaPool({ ...base, maxHeldRatio: 1.2 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new ArenaPool({ ...base, alignment: 3 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new ArenaPool({ ...base, maxBuffers: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new ArenaPool({} as never))).toBe("INVALID_ARGUMENT");
  });

  it("policy.bucketSize is the size of the range a request gets", () => {
    const { pool } = fakePool();
    expect(pool.policy.name).toBe("arena");
    for (const n of [1, 255, 257, 3000, 16_384, 16_385, 1_000_001]) {
      const block = pool.acquire(n);
      expect(pool.policy.bucketSize(n)).toBe(block.size);
    }
    expect(code(() => pool.policy.bucketSize(0))).toBe("INVALID_ARGUMENT");
    pool.dispose();
  });

  it("random operations keep live and fenced ranges disjoint and held bytes equal to slab bytes", async () => {
    type Op =
      | { kind: "a"; n: number; src: number }
      | { kind: "f" | "fence" | "settle"; pick: number }
      | { kind: "r" | "c" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant("a" as const),
        n: fc.integer({ min: 1, max: 2_000_000 }),
        src: fc.integer({ min: 0, max: 1 }),
      }),
      fc.record({
        kind: fc.constantFrom("f" as const, "fence" as const, "settle" as const),
        pick: fc.nat(),
      }),
      fc.record({ kind: fc.constantFrom("r" as const, "c" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const { pool, held } = fakePool({ minSlabBytes: 65_536 });
        const live: ArenaBlock<FakeSlab>[] = [];
        const pending: { ranges: [FakeSlab, number, number][]; settle: () => void }[] = [];
        const range = (b: ArenaBlock<FakeSlab>): [FakeSlab, number, number] => [
          b.handle,
          b.offset,
          b.offset + b.size,
        ];
        for (const o of ops) {
          if (o.kind === "a") live.push(pool.acquire(o.n, o.src));
          else if (o.kind === "f" && live.length > 0) {
            const [b] = live.splice(o.pick % live.length, 1) as [ArenaBlock<FakeSlab>];
            pool.release(b, b.generation);
          } else if (o.kind === "fence" && live.length > 0) {
            const [b] = live.splice(o.pick % live.length, 1) as [ArenaBlock<FakeSlab>];
            const d = deferred();
            pending.push({ ranges: [range(b)], settle: d.resolve });
            pool.release(b, b.generation, d.promise);
          } else if (o.kind === "settle" && pending.length > 0) {
            (pending.splice(o.pick % pending.length, 1)[0] as { settle: () => void }).settle();
            await tick();
          } else if (o.kind === "r") {
            pool.reset();
            live.length = 0;
          } else if (o.kind === "c") pool.clear();
          const ranges = [...live.map(range), ...pending.flatMap((p) => p.ranges)];
          for (let i = 0; i < ranges.length; i++)
            for (let j = i + 1; j < ranges.length; j++) {
              const [s1, a1, e1] = ranges[i] as [FakeSlab, number, number];
              const [s2, a2, e2] = ranges[j] as [FakeSlab, number, number];
              if (s1 === s2) expect(e1 <= a2 || e2 <= a1).toBe(true);
            }
          for (const [slab, , end] of ranges) {
            expect(slab.freed).toBe(false);
            expect(end).toBeLessThanOrEqual(slab.bytes);
          }
          expect(pool.heldByteLength).toBe(held());
          expect(pool.inUseLength).toBe(live.length);
        }
        pool.dispose();
        for (const p of pending) p.settle();
        await tick();
        expect(held()).toBe(0);
      }),
      { numRuns: 80 },
    );
  }, 60_000);
});
