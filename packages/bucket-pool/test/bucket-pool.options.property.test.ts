// The model test again, across options: size policies (with and without a class index), homes,
// cache limits, maxBuffers (MEMORY_LIMIT must change nothing) and reuse of larger classes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bucketSize,
  Lease,
  type MlxError,
  pow2,
  pow2Divisions,
  type SizePolicy,
} from "../src/index.js";
import { type FakeHandle, fakePool } from "./fake-handles.js";

const policies: SizePolicy[] = [pow2, pow2Divisions(4, 1024), { name: "no-index", bucketSize }];

const options = fc.record({
  policy: fc.constantFrom(...policies),
  maxFreeBytes: fc.option(fc.constantFrom(0, 4096, 100_000), { nil: undefined }),
  maxBuffers: fc.option(fc.constantFrom(3, 8), { nil: undefined }),
  reuseLargerRatio: fc.constantFrom(1, 2),
});

type Op =
  | { kind: "acquire"; size: number; home: number }
  | { kind: "release"; pick: number }
  | { kind: "reset" }
  | { kind: "clear" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("acquire" as const),
      size: fc.constantFrom(1, 100, 1000, 1500, 4096, 5000, 70_000),
      home: fc.constantFrom(0, 1),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reset" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
);

describe("BucketPool across options", () => {
  it("keeps leases disjoint, homes apart, limits honoured, and refusals side-effect free", () => {
    fc.assert(
      fc.property(options, fc.array(op, { maxLength: 80 }), (opts, ops) => {
        const { pool, allocated, destroyed } = fakePool(opts);
        const homeOf = new Map<FakeHandle, number>();
        const live: { lease: Lease<FakeHandle>; home: number }[] = [];
        for (const step of ops) {
          if (step.kind === "acquire") {
            const before = pool.stats();
            const known = allocated.length;
            let lease: Lease<FakeHandle>;
            try {
              lease = new Lease(pool, step.size, step.home);
            } catch (error) {
              expect((error as MlxError).code).toBe("MEMORY_LIMIT");
              expect(pool.stats()).toEqual(before);
              expect(allocated).toHaveLength(known);
              continue;
            }
            const handle = lease.handle;
            if (!homeOf.has(handle)) homeOf.set(handle, step.home);
            expect(homeOf.get(handle)).toBe(step.home);
            expect(lease.capacity).toBeGreaterThanOrEqual(step.size);
            expect(lease.capacity).toBe(handle.capacity);
            live.push({ lease, home: step.home });
          } else if (step.kind === "release" && live.length > 0) {
            live.splice(step.pick % live.length, 1)[0]?.lease.release();
          } else if (step.kind === "reset") {
            pool.reset();
            live.length = 0;
          } else if (step.kind === "clear") {
            pool.clear();
          }
          const handles = live.map((l) => l.lease.handle);
          expect(new Set(handles).size).toBe(handles.length);
          for (const h of handles) expect(h.destroyed).toBe(false);
          const s = pool.stats();
          expect(s.inUseCount).toBe(live.length);
          expect(s.heldCount).toBe(allocated.length - destroyed.length);
          expect(s.heldBytes).toBe(
            live.reduce((sum, l) => sum + l.lease.capacity, 0) + s.freeBytes,
          );
          if (opts.maxBuffers !== undefined)
            expect(s.heldCount).toBeLessThanOrEqual(opts.maxBuffers);
          if (opts.maxFreeBytes !== undefined)
            expect(s.freeBytes).toBeLessThanOrEqual(opts.maxFreeBytes);
        }
        pool.dispose();
        expect(destroyed).toHaveLength(allocated.length);
      }),
      { numRuns: 400 },
    );
  });
});
