import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Lease, MlxError } from "../src/index.js";
import { type FakeHandle, fakePool } from "./fake-handles.js";

type Op =
  | { kind: "acquire"; size: number }
  | { kind: "release"; pick: number }
  | { kind: "releaseStale"; pick: number }
  | { kind: "reset" }
  | { kind: "clear" };

const sizes = fc.constantFrom(1, 3, 8, 100, 1000, 1024, 1025, 4096, 70_000);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: sizes.map((size) => ({ kind: "acquire" as const, size })) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: "release" as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: "releaseStale" as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: "reset" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
);

describe("BucketPool against a model", () => {
  it("never hands one handle to two live leases, and its counters match the model", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 120 }),
        fc.option(fc.constantFrom(0, 2048, 100_000)),
        (ops, maxFreeBytes) => {
          const { pool, allocated, destroyed } = fakePool(
            maxFreeBytes === null ? {} : { maxFreeBytes },
          );
          const live: Lease<FakeHandle>[] = [];
          const stale: Lease<FakeHandle>[] = [];
          let acquires = 0;
          for (const step of ops) {
            if (step.kind === "acquire") {
              acquires++;
              live.push(new Lease(pool, step.size));
            } else if (step.kind === "release" && live.length > 0) {
              const [lease] = live.splice(step.pick % live.length, 1);
              lease!.release();
              stale.push(lease!);
            } else if (step.kind === "releaseStale" && stale.length > 0) {
              const before = pool.stats();
              const lease = stale[step.pick % stale.length]!;
              expect(() => lease.release()).toThrow(MlxError);
              expect(pool.stats()).toEqual(before);
            } else if (step.kind === "reset") {
              pool.reset();
              stale.push(...live.splice(0));
            } else if (step.kind === "clear") {
              pool.clear();
            }

            const handles = live.map((l) => l.handle);
            expect(new Set(handles).size).toBe(handles.length);
            for (const h of handles) expect((h as { destroyed: boolean }).destroyed).toBe(false);
            for (const l of stale) expect(l.stale).toBe(true);
            const stats = pool.stats();
            expect(stats.inUseCount).toBe(live.length);
            expect(stats.inUseBytes).toBe(live.reduce((s, l) => s + l.byteLength, 0));
            expect(stats.heldCount).toBe(allocated.length - destroyed.length);
            expect(stats.heldCount).toBe(stats.inUseCount + stats.freeCount);
            const liveCapacity = live.reduce((s, l) => s + l.capacity, 0);
            expect(stats.heldBytes).toBe(liveCapacity + stats.freeBytes);
            expect(stats.hits + stats.misses).toBe(acquires);
            if (maxFreeBytes !== null) expect(stats.freeBytes).toBeLessThanOrEqual(maxFreeBytes);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
