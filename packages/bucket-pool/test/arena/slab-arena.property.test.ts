import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ArenaBlock, MlxError, type SlabArena } from "../../src/index.js";
import { type FakeSlab, fakeArena, liveSnapshot } from "./fake-slabs.js";

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "free"; pick: number }
  | { kind: "freeStale"; pick: number }
  | { kind: "freeAll" }
  | { kind: "clear" }
  | { kind: "compact" }
  | { kind: "failNextSlab" };

const size = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 16_384 }) },
  { weight: 3, arbitrary: fc.integer({ min: 16_385, max: 300_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 300_001, max: 3_000_000 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1, 256, 257, 2048, 2049, 16_384, 16_385, 65_536, 1 << 20, 3 << 20),
  },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: size.map((n) => ({ kind: "alloc" as const, size: n })) },
  { weight: 7, arbitrary: fc.nat().map((pick) => ({ kind: "free" as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: "freeStale" as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: "freeAll" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "compact" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "failNextSlab" as const }) },
);
const options = fc.record({
  alignment: fc.constantFrom(1, 64, 256, 1024, 4096),
  minSlabBytes: fc.constantFrom(65_536, 1 << 20),
  slabHeldDivisor: fc.constantFrom(1, 8),
  maxHeldBytes: fc.constantFrom(Number.POSITIVE_INFINITY, 8 << 20),
  freedBlockReuse: fc.constantFrom("merge-first" as const, "exact-first" as const),
});

interface LiveRange {
  block: ArenaBlock<FakeSlab>;
  generation: number;
  slabId: number;
  offset: number;
  size: number;
  requested: number;
}

/** Checks every invariant of the arena against the model's live ranges. */
function checkInvariants(
  arena: SlabArena<FakeSlab>,
  live: LiveRange[],
  heldByNative: number,
  alignment: number,
) {
  const s = arena.stats();
  expect(s.liveCount).toBe(live.length);
  expect(s.requestedBytes).toBe(live.reduce((sum, r) => sum + r.requested, 0));
  expect(s.liveBytes).toBe(live.reduce((sum, r) => sum + r.size, 0));
  const slabs = arena.slabList();
  expect(s.heldBytes).toBe(heldByNative);
  expect(s.heldBytes).toBe(slabs.reduce((sum, slab) => sum + slab.size, 0));
  expect(s.heldBytes).toBeLessThanOrEqual(arena.maxHeldBytes);
  const bySlab = new Map<number, LiveRange[]>();
  for (const r of live) {
    // A live range keeps its place, lies within its slab and is aligned.
    expect(arena.isLive(r.block, r.generation)).toBe(true);
    expect([r.block.slab.id, r.block.offset, r.block.size]).toEqual([r.slabId, r.offset, r.size]);
    expect(r.offset % alignment).toBe(0);
    expect(r.size).toBeGreaterThanOrEqual(r.requested);
    expect(r.offset + r.size).toBeLessThanOrEqual(r.block.slab.size);
    bySlab.set(r.slabId, [...(bySlab.get(r.slabId) ?? []), r]);
  }
  // No two live ranges share a byte.
  for (const ranges of bySlab.values()) {
    ranges.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < ranges.length; i++) {
      const prev = ranges[i - 1] as LiveRange;
      expect(prev.offset + prev.size).toBeLessThanOrEqual((ranges[i] as LiveRange).offset);
    }
  }
  let freeBytes = 0;
  for (const slab of slabs) {
    expect(slab.released).toBe(false);
    const layout = arena.slabLayout(slab);
    // The blocks tile the slab; no two free blocks are neighbours (they would have merged).
    let end = 0;
    for (let i = 0; i < layout.length; i++) {
      const r = layout[i] as (typeof layout)[number];
      expect(r.offset).toBe(end);
      end += r.size;
      if (r.kind === "free") {
        freeBytes += r.size;
        expect(layout[i + 1]?.kind).not.toBe("free");
      }
    }
    expect(end).toBe(slab.size);
    // Large live ranges of the model are exactly the layout's live blocks.
    const large = (bySlab.get(slab.id) ?? []).filter((r) => r.block.chunk === null);
    expect(layout.filter((r) => r.kind === "live").map((r) => [r.offset, r.size])).toEqual(
      large.map((r) => [r.offset, r.size]),
    );
    // Every live small cell lies in a chunk of its slab.
    for (const r of bySlab.get(slab.id) ?? []) {
      if (r.block.chunk === null) continue;
      const chunk = layout.find((c) => c.offset <= r.offset && r.offset < c.offset + c.size);
      expect(chunk?.kind).toBe("chunk");
      expect(r.offset + r.size).toBeLessThanOrEqual((chunk?.offset ?? 0) + (chunk?.size ?? 0));
    }
  }
  expect(s.freeBlockBytes).toBe(freeBytes);
}

describe("SlabArena against a model", () => {
  it("keeps live ranges disjoint, in their slabs, counted, merged when free, at O(1) per op", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), options, (ops, opts) => {
        const f = fakeArena(opts);
        const { arena } = f;
        const live: LiveRange[] = [];
        const stale: [ArenaBlock<FakeSlab>, number][] = [];
        /** Byte ranges ever handed out, per slab: a fresh range must not overlap any. */
        const handedOut = new Map<number, [number, number][]>();
        const freeOne = (r: LiveRange) => {
          arena.free(r.block, r.generation);
          stale.push([r.block, r.generation]);
        };
        for (const step of ops) {
          const before = arena.stats();
          if (step.kind === "alloc") {
            const kept = liveSnapshot(arena);
            let block: ArenaBlock<FakeSlab>;
            try {
              block = arena.allocate(step.size);
            } catch (e) {
              const injected = (e as Error).message === "injected slab allocation failure";
              expect(injected || (e instanceof MlxError && e.code === "MEMORY_LIMIT")).toBe(true);
              expect(liveSnapshot(arena)).toEqual(kept);
              continue;
            }
            const history = handedOut.get(block.slab.id) ?? [];
            if (block.fresh) {
              for (const [start, end] of history) {
                expect(block.offset >= end || block.offset + block.size <= start).toBe(true);
              }
            }
            history.push([block.offset, block.offset + block.size]);
            handedOut.set(block.slab.id, history);
            live.push({
              block,
              generation: block.generation,
              slabId: block.slab.id,
              offset: block.offset,
              size: block.size,
              requested: step.size,
            });
          } else if (step.kind === "free" && live.length > 0) {
            const [r] = live.splice(step.pick % live.length, 1);
            freeOne(r as LiveRange);
          } else if (step.kind === "freeStale" && stale.length > 0) {
            const [block, generation] = stale[step.pick % stale.length] as [
              ArenaBlock<FakeSlab>,
              number,
            ];
            const kept = liveSnapshot(arena);
            expect(() => arena.free(block, generation)).toThrow(MlxError);
            expect(liveSnapshot(arena)).toEqual(kept);
          } else if (step.kind === "freeAll") {
            for (const r of live.splice(0)) freeOne(r);
            arena.compact();
            // Free space merges: every slab is one free block again.
            for (const slab of arena.slabList()) {
              expect(arena.slabLayout(slab).map((r) => [r.kind, r.size])).toEqual([
                ["free", slab.size],
              ]);
            }
          } else if (step.kind === "clear") {
            arena.clear();
            for (const slab of arena.slabList()) {
              expect(live.some((r) => r.slabId === slab.id)).toBe(true);
            }
          } else if (step.kind === "compact") {
            arena.compact();
            expect([arena.stats().spareChunkCount, arena.stats().cachedBlockCount]).toEqual([0, 0]);
          } else if (step.kind === "failNextSlab") {
            f.failNextSlab();
          }
          const after = arena.stats();
          // No scan: a bounded number of blocks looked at and list edits per operation, beyond
          // the cached blocks, spare chunks and slabs a miss hands back.
          const sparesBack =
            Math.max(0, before.spareChunkCount - after.spareChunkCount + 1) +
            Math.max(0, before.cachedBlockCount - after.cachedBlockCount + 1);
          const slabsBack = after.slabReleases - before.slabReleases;
          if (step.kind === "alloc" || step.kind === "free") {
            expect(after.blocksExamined - before.blocksExamined).toBeLessThanOrEqual(6);
            expect(after.freeListOperations - before.freeListOperations).toBeLessThanOrEqual(
              12 + 4 * sparesBack + 2 * slabsBack,
            );
          }
          checkInvariants(arena, live, f.heldByNative(), opts.alignment);
        }
        for (const r of live.splice(0)) freeOne(r);
        arena.clear();
        expect([arena.heldBytes, arena.slabCount, f.heldByNative()]).toEqual([0, 0, 0]);
        arena.dispose();
        expect(f.made.every((slab) => slab.freed)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
