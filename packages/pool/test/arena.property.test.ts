// Random sequences of pool operations under policy "arena", checked on byte ranges of slabs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DType, type MlxBuffer, MlxBufferPool, MlxError } from "../src/index.js";
import { openDevice } from "./helpers.js";

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "batch"; sizes: number[] }
  | { kind: "release"; pick: number; fenced: boolean }
  | { kind: "releaseStale"; pick: number }
  | { kind: "reset"; fenced: boolean }
  | { kind: "settle"; pick: number; reject: boolean }
  | { kind: "clear" };

const size = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 16_384 }) },
  { weight: 3, arbitrary: fc.integer({ min: 16_385, max: 400_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 400_001, max: 3_000_000 }) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: size.map((n) => ({ kind: "alloc" as const, size: n })) },
  {
    weight: 1,
    arbitrary: fc.array(size, { maxLength: 4 }).map((sizes) => ({ kind: "batch" as const, sizes })),
  },
  {
    weight: 5,
    arbitrary: fc
      .record({ pick: fc.nat(), fenced: fc.boolean() })
      .map((r) => ({ kind: "release" as const, ...r })),
  },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: "releaseStale" as const, pick })) },
  {
    weight: 1,
    arbitrary: fc.boolean().map((fenced) => ({ kind: "reset" as const, fenced })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ pick: fc.nat(), reject: fc.boolean() })
      .map((r) => ({ kind: "settle" as const, ...r })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
);

interface Range {
  slab: object;
  start: number;
  end: number;
}

/** Every pair of ranges of one slab is disjoint (sorted by start: each ends before the next). */
function expectDisjoint(ranges: Range[]): void {
  const bySlab = new Map<object, Range[]>();
  for (const r of ranges) {
    const list = bySlab.get(r.slab);
    if (list === undefined) bySlab.set(r.slab, [r]);
    else list.push(r);
  }
  for (const list of bySlab.values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++)
      expect((list[i - 1] as Range).end).toBeLessThanOrEqual((list[i] as Range).start);
  }
}

const flush = () => new Promise<void>((r) => setTimeout(r, 0));

describe('MlxBufferPool({ policy: "arena" }) against a model', () => {
  it("keeps live and fenced ranges disjoint, contents intact, fresh memory zeroed, counts exact", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 50 }), async (ops) => {
        const dev = openDevice();
        const pool = new MlxBufferPool({ policy: "arena", arena: { minSlabBytes: 256 * 1024 } });
        const live: { buffer: MlxBuffer; tag: number }[] = [];
        const stale: MlxBuffer[] = [];
        /** Fences not settled yet, with the ranges they protect. */
        const fences: { settle: (ok: boolean) => void; ranges: Range[] }[] = [];
        let quarantined: Range[] = [];
        /** Every range ever handed out: a range that overlaps none of them must read as zero. */
        const everHanded: Range[] = [];
        let nextTag = 1;
        const rangeOf = (b: MlxBuffer): Range => ({
          slab: b.nativeAllocation,
          start: b.byteOffset,
          end: b.byteOffset + b.capacity,
        });
        const admit = (b: MlxBuffer) => {
          const r = rangeOf(b);
          expect(r.start % 256).toBe(0);
          expect(b.capacity).toBeGreaterThanOrEqual(b.byteLength);
          expect(b.address).toBe(b.nativeAllocation.address + BigInt(b.byteOffset));
          const overlapsOld = everHanded.some(
            (o) => o.slab === r.slab && o.start < r.end && r.start < o.end,
          );
          if (!overlapsOld) expect(b.bytes().every((x) => x === 0)).toBe(true);
          everHanded.push(r);
          const tag = (nextTag++ % 250) + 1;
          b.bytes().fill(tag);
          live.push({ buffer: b, tag });
        };
        const fence = (ranges: Range[]) => {
          let settle!: (ok: boolean) => void;
          const promise = new Promise<void>((res, rej) => {
            settle = (ok) => (ok ? res() : rej(new Error("fence rejected")));
          });
          fences.push({ settle, ranges });
          return promise;
        };
        try {
          for (const o of ops) {
            switch (o.kind) {
              case "alloc":
                admit(pool.alloc(dev, o.size, DType.U8, [o.size]));
                break;
              case "batch":
                for (const b of pool.allocBatch(
                  dev,
                  o.sizes.map((n) => [n, DType.U8, [n]] as const),
                ))
                  admit(b);
                break;
              case "release": {
                if (live.length === 0) break;
                const { buffer } = live.splice(o.pick % live.length, 1)[0] as {
                  buffer: MlxBuffer;
                };
                const range = rangeOf(buffer);
                pool.release(buffer, o.fenced ? { after: fence([range]) } : undefined);
                stale.push(buffer);
                break;
              }
              case "releaseStale": {
                if (stale.length === 0) break;
                const b = stale[o.pick % stale.length] as MlxBuffer;
                const before = pool.stats();
                expect(() => pool.release(b)).toThrow(MlxError);
                expect(pool.stats()).toEqual(before);
                break;
              }
              case "reset": {
                const ranges = live.map(({ buffer }) => rangeOf(buffer));
                pool.reset(o.fenced ? { after: fence(ranges) } : undefined);
                for (const { buffer } of live.splice(0)) stale.push(buffer);
                break;
              }
              case "settle": {
                if (fences.length === 0) break;
                const [f] = fences.splice(o.pick % fences.length, 1) as [(typeof fences)[0]];
                f.settle(!o.reject);
                await flush();
                if (o.reject) quarantined.push(...f.ranges);
                break;
              }
              case "clear":
                pool.clear();
                quarantined = [];
                break;
            }
            // Live leases, ranges behind fences and quarantined ranges never overlap.
            expectDisjoint([
              ...live.map(({ buffer }) => rangeOf(buffer)),
              ...fences.flatMap((f) => f.ranges),
              ...quarantined,
            ]);
            for (const { buffer, tag } of live) {
              expect(buffer.stale).toBe(false);
              const bytes = buffer.bytes();
              expect(bytes[0]).toBe(tag);
              expect(bytes[bytes.length - 1]).toBe(tag);
            }
            for (const b of stale) expect(b.stale).toBe(true);
            const s = pool.stats();
            expect(s.inUseCount).toBe(live.length);
            expect(s.inUseBytes).toBe(live.reduce((n, { buffer }) => n + buffer.byteLength, 0));
            expect(s.pendingCount).toBe(fences.reduce((n, f) => n + f.ranges.length, 0));
            expect(s.quarantinedCount).toBe(quarantined.length);
            expect(s.heldCount).toBe(s.arena?.slabCount);
            expect(s.heldBytes % 16_384).toBe(0);
            expect(s.freeBytes).toBeGreaterThanOrEqual(0);
            expect(s.hits + s.misses).toBe(everHanded.length);
          }
          for (const f of fences.splice(0)) f.settle(true);
          await flush();
          pool.reset();
          pool.clear();
          expect(pool.stats()).toMatchObject({ heldBytes: 0, heldCount: 0, quarantinedCount: 0 });
        } finally {
          pool.dispose();
          dev.dispose();
        }
        for (const { buffer } of live) expect(buffer.stale).toBe(true);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
