// Random sequences of every pool operation against a model of what the pool must hold.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketSize, DType, type MlxBuffer, MlxBufferPool } from "../src/index.js";
import { openDevice } from "./helpers.js";

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "batch"; sizes: number[] }
  | { kind: "release"; pick: number }
  | { kind: "releaseStale"; pick: number }
  | { kind: "reset" }
  | { kind: "clear" }
  | { kind: "registerExisting"; size: number };

const size = fc.constantFrom(1, 7, 64, 100, 1000, 1024, 1025, 4096, 5000, 65_536);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: size.map((s) => ({ kind: "alloc" as const, size: s })) },
  {
    weight: 2,
    arbitrary: fc.array(size, { maxLength: 5 }).map((sizes) => ({ kind: "batch" as const, sizes })),
  },
  { weight: 4, arbitrary: fc.nat().map((pick) => ({ kind: "release" as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: "releaseStale" as const, pick })) },
  { weight: 2, arbitrary: fc.constant({ kind: "reset" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
  { weight: 1, arbitrary: size.map((s) => ({ kind: "registerExisting" as const, size: s })) },
);

describe("MlxBufferPool against a model", () => {
  it("keeps live buffers disjoint, counts exact, fresh memory zeroed, residency equal to holdings", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const dev = openDevice();
        const pool = new MlxBufferPool();
        const live: MlxBuffer[] = [];
        const stale: MlxBuffer[] = [];
        const direct: MlxBuffer[] = [];
        /** Free addresses by capacity, as the model expects the pool to hold them. */
        const free = new Map<number, Set<bigint>>();
        const freeSet = (capacity: number) => {
          let set = free.get(capacity);
          if (set === undefined) {
            set = new Set();
            free.set(capacity, set);
          }
          return set;
        };
        const retire = (b: MlxBuffer) => {
          freeSet(b.capacity).add(b.address);
          stale.push(b);
        };
        const admit = (b: MlxBuffer) => {
          const reusable = freeSet(b.capacity);
          if (reusable.has(b.address)) {
            reusable.delete(b.address);
          } else {
            expect(b.bytes().every((x) => x === 0)).toBe(true);
          }
          b.bytes().fill(0x5c);
          live.push(b);
        };
        try {
          for (const step of ops) {
            switch (step.kind) {
              case "alloc":
                admit(pool.alloc(dev, step.size, DType.U8, [step.size]));
                break;
              case "batch":
                for (const b of pool.allocBatch(
                  dev,
                  step.sizes.map((n) => [n, DType.U8, [n]] as const),
                ))
                  admit(b);
                break;
              case "release":
                if (live.length > 0) {
                  const [b] = live.splice(step.pick % live.length, 1);
                  pool.release(b as MlxBuffer);
                  retire(b as MlxBuffer);
                }
                break;
              case "releaseStale":
                if (stale.length > 0) {
                  const before = [pool.stats(), dev.residencyStats()];
                  expect(() =>
                    pool.release(stale[step.pick % stale.length] as MlxBuffer),
                  ).toThrow();
                  expect([pool.stats(), dev.residencyStats()]).toEqual(before);
                }
                break;
              case "reset":
                pool.reset();
                for (const b of live.splice(0)) retire(b);
                break;
              case "clear":
                pool.clear();
                free.clear();
                break;
              case "registerExisting": {
                const b = dev.allocBuffer(step.size, DType.U8, [step.size]);
                pool.registerExisting(dev, b);
                direct.push(b);
                break;
              }
            }
            const addresses = live.map((b) => b.address);
            expect(new Set(addresses).size).toBe(addresses.length);
            for (const b of live) expect(b.stale).toBe(false);
            for (const b of stale) expect(b.stale).toBe(true);
            const stats = pool.stats();
            expect(stats.inUseCount).toBe(live.length);
            expect(stats.inUseBytes).toBe(live.reduce((s, b) => s + b.byteLength, 0));
            const freeCount = [...free.values()].reduce((s, set) => s + set.size, 0);
            expect(stats.freeCount).toBe(freeCount);
            expect(stats.freeBytes).toBe([...free].reduce((s, [c, set]) => s + c * set.size, 0));
            expect(stats.heldBytes).toBe(
              live.reduce((s, b) => s + bucketSize(b.byteLength), 0) + stats.freeBytes,
            );
            if (dev.residencySetsEnabled) {
              expect(dev.residencyStats().allocationCount).toBe(stats.heldCount + direct.length);
            }
          }
        } finally {
          pool.dispose();
          dev.dispose();
        }
        for (const b of live) expect(b.stale).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
