// Random interleavings under limits, with refused batches and residency hooks that throw at
// random points, checked after every step against an exact model: counters, the free lists in
// their LRU order, residency membership, native live buffers, and disjoint live leases.
import { liveNativeBuffers } from "@mlx/metal-native";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketSize, DType, type MlxBuffer, MlxBufferPool, MlxDevice } from "../src/index.js";

const RUNS = 150;
const MAX_BUFFERS = 6;
const MAX_FREE_BYTES = 12_000;

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "batch"; sizes: number[] }
  | { kind: "release"; pick: number }
  | { kind: "releaseStale" }
  | { kind: "reset" }
  | { kind: "clear" }
  | { kind: "pastMax" };

const size = fc.constantFrom(1, 64, 100, 1000, 1024, 1025, 4096, 5000);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: size.map((s) => ({ kind: "alloc" as const, size: s })) },
  {
    weight: 3,
    arbitrary: fc.array(size, { maxLength: 8 }).map((sizes) => ({ kind: "batch" as const, sizes })),
  },
  { weight: 4, arbitrary: fc.nat().map((pick) => ({ kind: "release" as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: "releaseStale" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "reset" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "pastMax" as const }) },
);

/** A free buffer as the model sees it. */
interface FreeEntry {
  readonly address: bigint;
  readonly capacity: number;
}

/** What the pool must hold: live leases in its in-use order, free buffers oldest first. */
class Model {
  live: MlxBuffer[] = [];
  free: FreeEntry[] = [];
  held = 0;
  evictions = 0;

  freeBytes(): number {
    return this.free.reduce((n, e) => n + e.capacity, 0);
  }
  /** The most recently freed buffer of this class (a hit), taken off. */
  take(capacity: number): FreeEntry | undefined {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if ((this.free[i] as FreeEntry).capacity === capacity) return this.free.splice(i, 1)[0];
    }
    return undefined;
  }
  evictOldest(): void {
    this.free.shift();
    this.held--;
    this.evictions++;
  }
  trimCache(): void {
    while (this.freeBytes() > MAX_FREE_BYTES) this.evictOldest();
  }
  removeLive(i: number): MlxBuffer {
    const b = this.live[i] as MlxBuffer;
    const last = this.live.pop() as MlxBuffer;
    if (i < this.live.length) this.live[i] = last;
    return b;
  }
}

function freeOrderOf(pool: MlxBufferPool): FreeEntry[] {
  // The pool's own eviction order, read from its internals: the property checks it exactly.
  const lists = (pool as unknown as { resources: { buckets: { free: unknown } } }).resources.buckets
    .free as {
    lru: { oldest: { handle: { address: bigint }; capacity: number; lruNext: unknown } | null };
  };
  const order: FreeEntry[] = [];
  type Node = { handle: { address: bigint }; capacity: number; lruNext: Node | null };
  for (let s = lists.lru.oldest as Node | null; s !== null; s = s.lruNext) {
    order.push({ address: s.handle.address, capacity: s.capacity });
  }
  return order;
}

const maxLength = (() => {
  const d = MlxDevice.open();
  const max = d.maxBufferLength;
  d.dispose();
  return max;
})();
const band = bucketSize(maxLength) > maxLength;

describe("MlxBufferPool under limits, refused batches and throwing hooks", () => {
  it(`matches the model after every step (${RUNS} runs)`, () => {
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        (ops, throws) => {
          runs++;
          let event = 0;
          const dev = MlxDevice.open({
            onResidencyEvent: () => {
              if (throws[event++ % throws.length]) throw new Error("hook failure");
            },
          });
          const baseline = liveNativeBuffers().count;
          const pool = new MlxBufferPool({ maxBuffers: MAX_BUFFERS, maxFreeBytes: MAX_FREE_BYTES });
          const model = new Model();
          const stale: MlxBuffer[] = [];
          const residency = dev.residencySetsEnabled;
          try {
            for (const o of ops) {
              step(o);
              check();
            }
          } finally {
            pool.dispose();
            dev.dispose();
          }
          expect(liveNativeBuffers().count).toBe(baseline);

          function fresh(capacity: number): void {
            while (model.held + 1 > MAX_BUFFERS && model.free.length > 0) model.evictOldest();
            model.held++;
            void capacity;
          }

          function step(o: Op): void {
            switch (o.kind) {
              case "alloc": {
                const capacity = bucketSize(o.size);
                const hit = model.take(capacity);
                if (hit === undefined && model.held - model.free.length + 1 > MAX_BUFFERS) {
                  expect(() => pool.alloc(dev, o.size, DType.U8, [o.size])).toThrow(/maxBuffers/);
                  return;
                }
                if (hit === undefined) fresh(capacity);
                const b = pool.alloc(dev, o.size, DType.U8, [o.size]);
                if (hit !== undefined) expect(b.address).toBe(hit.address);
                model.live.push(b);
                return;
              }
              case "batch": {
                const saved = model.free.slice();
                const hits = o.sizes.map((s) => model.take(bucketSize(s)));
                const freshCount = hits.filter((h) => h === undefined).length;
                if (model.held - model.free.length + freshCount > MAX_BUFFERS) {
                  model.free = saved;
                  expect(() =>
                    pool.allocBatch(
                      dev,
                      o.sizes.map((s) => [s, DType.U8, [s]] as const),
                    ),
                  ).toThrow(/maxBuffers/);
                  return;
                }
                for (const [i, s] of o.sizes.entries())
                  if (hits[i] === undefined) fresh(bucketSize(s));
                const got = pool.allocBatch(
                  dev,
                  o.sizes.map((s) => [s, DType.U8, [s]] as const),
                );
                got.forEach((b, i) => {
                  const hit = hits[i];
                  if (hit !== undefined) expect(b.address).toBe(hit.address);
                });
                model.live.push(...got);
                return;
              }
              case "release": {
                if (model.live.length === 0) return;
                const b = model.removeLive(o.pick % model.live.length);
                pool.release(b);
                stale.push(b);
                model.free.push({ address: b.address, capacity: b.capacity });
                model.trimCache();
                return;
              }
              case "releaseStale": {
                const b = stale[stale.length - 1];
                if (b === undefined) return;
                expect(() => pool.release(b)).toThrow(/stale/);
                return;
              }
              case "reset": {
                for (const b of model.live)
                  model.free.push({ address: b.address, capacity: b.capacity });
                stale.push(...model.live);
                model.live = [];
                pool.reset();
                model.trimCache();
                return;
              }
              case "clear": {
                model.held -= model.free.length;
                model.free = [];
                pool.clear();
                return;
              }
              case "pastMax": {
                if (!band) return;
                expect(() => pool.alloc(dev, maxLength, DType.U8, [maxLength])).toThrow(
                  String(maxLength),
                );
                return;
              }
            }
          }

          function check(): void {
            const stats = pool.stats();
            expect(stats.inUseCount).toBe(model.live.length);
            expect(stats.freeCount).toBe(model.free.length);
            expect(stats.freeBytes).toBe(model.freeBytes());
            expect(stats.heldCount).toBe(model.held);
            expect(stats.evictions).toBe(model.evictions);
            expect(freeOrderOf(pool)).toEqual(model.free);
            if (residency) expect(dev.residencyStats().allocationCount).toBe(model.held);
            expect(liveNativeBuffers().count - baseline).toBe(model.held);
            const addresses = new Set(model.live.map((b) => b.address));
            expect(addresses.size).toBe(model.live.length);
            for (const f of model.free) expect(addresses.has(f.address)).toBe(false);
            for (const b of model.live) expect(b.stale).toBe(false);
          }
        },
      ),
      { numRuns: RUNS },
    );
    console.log(`robustness property: ${runs} runs of up to 40 steps`);
    expect(runs).toBeGreaterThanOrEqual(RUNS);
  });
});
