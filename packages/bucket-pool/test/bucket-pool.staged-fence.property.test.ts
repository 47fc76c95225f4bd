// A fenced reset without a recycle hook stages its slots and files them in one splice per class
// when the fence completes; with a hook it files them one by one. Both must leave the pool in
// the same state: the same slot for every acquire, the same evictions, the same counts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BucketPool, Slot, SlotState } from "../src/index.js";
import { type FakeHandle, fakePool, manualFence } from "./fake-handles.js";
import { freeListStructure } from "./free-list-structure.js";

type Op =
  | { kind: "acquire"; size: number }
  | { kind: "release"; pick: number; fenced: boolean }
  | { kind: "reset"; fenced: boolean }
  | { kind: "settle"; pick: number; completed: boolean }
  | { kind: "clear" }
  | { kind: "evictFree"; bytes: number }
  | { kind: "enumerate" };

const SIZES = [1, 3, 8, 100, 1000, 1024, 1025, 4096, 70_000];
const sizes = fc.constantFrom(...SIZES);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: sizes.map((size) => ({ kind: "acquire" as const, size })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ pick: fc.nat(), fenced: fc.boolean() })
      .map((r) => ({ kind: "release" as const, ...r })),
  },
  { weight: 3, arbitrary: fc.boolean().map((fenced) => ({ kind: "reset" as const, fenced })) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        pick: fc.nat(),
        completed: fc.oneof(
          { weight: 4, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
      })
      .map((r) => ({ kind: "settle" as const, ...r })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1, 5000, 100_000).map((bytes) => ({
      kind: "evictFree" as const,
      bytes,
    })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "enumerate" as const }) },
);

const limits = fc.record(
  {
    maxFreeBytes: fc.constantFrom(2048, 20_000, 200_000),
    maxBuffers: fc.constantFrom(6, 40),
    reuseLargerRatio: fc.constantFrom(1, 4),
  },
  { requiredKeys: [] },
);

/** What a pool shows of itself: counts, and every slot it owns by handle id with its state. */
function picture(pool: BucketPool<FakeHandle>) {
  const slots: [number, SlotState][] = [];
  pool.forEachSlot((slot) => slots.push([slot.handle.id, slot.state]));
  return { stats: pool.stats(), slots: slots.sort((a, b) => a[0] - b[0]) };
}

const settledTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("a fenced reset's staged slots against slots filed one by one", () => {
  it("give the same acquires, evictions and counts, fences settled in any order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 100 }), limits, async (ops, options) => {
        // With a hook (even one doing nothing) slots are filed one by one.
        const byOne = fakePool({ ...options, onRecycle: () => {} });
        const staged = fakePool({ ...options, onRecycle: undefined });
        const pools = [byOne, staged];
        const live: Slot<FakeHandle>[][] = [[], []];
        const fences: ReturnType<typeof manualFence>[] = [];
        /** Acquires in both pools: the same handle, or the same error code. */
        const acquireBoth = (size: number): void => {
          const got = pools.map((p, i) => {
            try {
              const slot = p.pool.acquire(size);
              live[i]?.push(slot);
              return slot.handle.id;
            } catch (error) {
              return (error as { code?: string }).code;
            }
          });
          expect(got[1]).toEqual(got[0]);
        };
        for (const step of ops) {
          if (step.kind === "acquire") {
            acquireBoth(step.size);
          } else if (step.kind === "release" && (live[0] as Slot<FakeHandle>[]).length > 0) {
            const fence = step.fenced ? manualFence() : undefined;
            if (fence !== undefined) fences.push(fence);
            pools.forEach((p, i) => {
              const held = live[i] as Slot<FakeHandle>[];
              const [slot] = held.splice(step.pick % held.length, 1) as [Slot<FakeHandle>];
              p.pool.release(slot, slot.generation, fence?.promise);
            });
          } else if (step.kind === "reset") {
            // One fence for both pools: they settle in the same turn.
            const fence = step.fenced ? manualFence() : undefined;
            if (fence !== undefined) fences.push(fence);
            for (const p of pools) p.pool.reset(fence?.promise);
            live[0] = [];
            live[1] = [];
          } else if (step.kind === "settle" && fences.length > 0) {
            const [fence] = fences.splice(step.pick % fences.length, 1);
            if (step.completed) fence?.resolve();
            else fence?.reject(new Error("gpu fault"));
            await settledTurn();
          } else if (step.kind === "clear") {
            expect(staged.pool.clear()).toBe(byOne.pool.clear());
          } else if (step.kind === "evictFree") {
            expect(staged.pool.evictFree(step.bytes)).toBe(byOne.pool.evictFree(step.bytes));
          } else if (step.kind === "enumerate") {
            expect(picture(staged.pool)).toEqual(picture(byOne.pool));
          }
          expect(staged.pool.stats()).toEqual(byOne.pool.stats());
          expect(staged.destroyed.map((h) => h.id)).toEqual(byOne.destroyed.map((h) => h.id));
          // Every link both ways, and the same order in every list.
          expect(freeListStructure(staged.pool)).toEqual(freeListStructure(byOne.pool));
        }
        for (const fence of fences) fence.resolve();
        await settledTurn();
        expect(picture(staged.pool)).toEqual(picture(byOne.pool));
        // What is free now comes back in the same order in both.
        for (const p of pools) p.pool.reset();
        for (const size of SIZES) {
          acquireBoth(size);
          acquireBoth(size);
          for (const p of pools) p.pool.reset();
        }
        expect(staged.pool.stats()).toEqual(byOne.pool.stats());
      }),
      { numRuns: 600 },
    );
  });
});
