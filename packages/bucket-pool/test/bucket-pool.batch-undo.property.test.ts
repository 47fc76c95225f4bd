// acquireBatchPrechecked undoes a batch whose allocation or finish throws: the slots it reused
// go back where they were, or, where an eviction made room for the batch meanwhile and took a
// neighbour, are filed as the most recently freed. Either way every list stays well formed and
// no slot is destroyed twice.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Slot } from "../src/index.js";
import { type FakeHandle, fakePool } from "./fake-handles.js";
import { freeListStructure } from "./free-list-structure.js";

const failingFinish = () => {
  throw new Error("finish failed");
};

/** The errors these tests provoke: a limit, a failing finish, an injected allocation failure. */
function expectRefusal(error: unknown): void {
  if ((error as { code?: string }).code === "MEMORY_LIMIT") return;
  expect((error as Error).message).toMatch(/^(finish failed|injected allocation failure)$/);
}

describe("acquireBatchPrechecked undone after an eviction", () => {
  it("leaves no destroyed slot in the eviction order (a later eviction would destroy it again)", () => {
    const { pool, destroyed } = fakePool({ maxBuffers: 6, maxFreeBytes: 1e9 });
    pool.acquire(1, 1);
    pool.acquire(1, 0);
    pool.acquire(1, 0);
    pool.reset();
    expect(() => pool.acquireBatchPrechecked([1, 1, 1, 1, 1], 1, failingFinish)).toThrow(
      "finish failed",
    );
    // The batch evicted a slot of source 0 for its fresh ones (that stays freed) and destroyed
    // the fresh ones it made.
    expect(pool.stats().evictions).toBe(1);
    expect(destroyed.map((h) => h.id)).toContain(2);
    freeListStructure(pool);
    // Six fresh slots under maxBuffers 6 evict everything free: each once.
    for (let i = 0; i < 6; i++) pool.acquire(2, 0);
    expect(new Set(destroyed).size).toBe(destroyed.length);
    expect(pool.stats()).toMatchObject({ heldCount: 6, inUseCount: 6, freeCount: 0 });
  });
});

type Op =
  | { kind: "acquire"; size: number; source: number }
  | { kind: "batch"; sizes: number[]; source: number; fail: "none" | "finish" | "allocation" }
  | { kind: "release"; pick: number }
  | { kind: "reset" };

const size = fc.constantFrom(1, 8, 100, 1024, 1025, 4096);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ size, source: fc.nat(1) })
      .map((r) => ({ kind: "acquire" as const, ...r })),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({
        sizes: fc.array(size, { minLength: 1, maxLength: 6 }),
        source: fc.nat(1),
        fail: fc.constantFrom("none" as const, "finish" as const, "allocation" as const),
      })
      .map((r) => ({ kind: "batch" as const, ...r })),
  },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: "release" as const, pick })) },
  { weight: 2, arbitrary: fc.constant({ kind: "reset" as const }) },
);

describe("acquireBatchPrechecked against its undo", () => {
  it("keeps every list well formed and destroys each slot once, with and without evictions", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.record(
          {
            maxBuffers: fc.constantFrom(3, 6, 12),
            maxFreeBytes: fc.constantFrom(5000, 1e9),
            reuseLargerRatio: fc.constantFrom(1, 4),
          },
          { requiredKeys: ["maxBuffers"] },
        ),
        (ops, options) => {
          const fake = fakePool(options);
          const { pool, allocated, destroyed } = fake;
          const live: Slot<FakeHandle>[] = [];
          for (const step of ops) {
            if (step.kind === "acquire") {
              try {
                live.push(pool.acquire(step.size, step.source));
              } catch (error) {
                // A limit, or a failure armed for a batch that never reached an allocation.
                expectRefusal(error);
              }
            } else if (step.kind === "batch") {
              const before = { stats: pool.stats(), lists: freeListStructure(pool) };
              if (step.fail === "allocation") fake.failNextAllocation();
              try {
                live.push(
                  ...pool.acquireBatchPrechecked(
                    step.sizes,
                    step.source,
                    step.fail === "finish" ? failingFinish : undefined,
                  ),
                );
              } catch (error) {
                expectRefusal(error);
                // Nothing evicted for it: the pool is exactly as it was.
                if (pool.stats().evictions === before.stats.evictions) {
                  expect(freeListStructure(pool)).toEqual(before.lists);
                  expect(pool.stats()).toEqual(before.stats);
                }
              }
            } else if (step.kind === "release" && live.length > 0) {
              const [slot] = live.splice(step.pick % live.length, 1) as [Slot<FakeHandle>];
              pool.release(slot, slot.generation);
            } else if (step.kind === "reset") {
              pool.reset();
              live.length = 0;
            }
            freeListStructure(pool);
            expect(new Set(destroyed).size).toBe(destroyed.length);
            const stats = pool.stats();
            expect(stats.heldCount).toBe(allocated.length - destroyed.length);
            expect(stats.inUseCount).toBe(live.length);
            expect(stats.heldCount).toBe(stats.inUseCount + stats.freeCount);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
