import { SlabArena, type SlabArenaOptions } from "../../src/index.js";

export interface FakeSlab {
  readonly id: number;
  readonly bytes: number;
  freed: boolean;
}

/** An arena over plain objects that records every slab made and freed. */
export function fakeArena(options: Partial<SlabArenaOptions<FakeSlab>> = {}) {
  const made: FakeSlab[] = [];
  const freed: FakeSlab[] = [];
  let failNext = false;
  let nextId = 1;
  const arena = new SlabArena<FakeSlab>({
    allocateSlab(bytes) {
      if (failNext) {
        failNext = false;
        throw new Error("injected slab allocation failure");
      }
      const slab = { id: nextId++, bytes, freed: false };
      made.push(slab);
      return slab;
    },
    freeSlab(slab, bytes) {
      if (slab.freed) throw new Error(`double free of slab ${slab.id}`);
      if (bytes !== slab.bytes) throw new Error(`slab ${slab.id} freed with ${bytes} bytes`);
      slab.freed = true;
      freed.push(slab);
    },
    ...options,
  });
  return {
    arena,
    made,
    freed,
    /** Bytes of slabs made and not freed: what the arena must report as held. */
    heldByNative: () => made.filter((s) => !s.freed).reduce((sum, s) => sum + s.bytes, 0),
    failNextSlab() {
      failNext = true;
    },
  };
}

/** Everything observable about an arena but its instrumentation, for "changes nothing" checks. */
export function snapshot(arena: SlabArena<FakeSlab>) {
  const { blocksExamined, freeListOperations, ...stats } = arena.stats();
  return {
    stats,
    layouts: arena.slabList().map((slab) => ({ id: slab.id, layout: arena.slabLayout(slab) })),
  };
}

/**
 * What a failed miss must leave as it was: every range handed out, the slabs they lie in, and the
 * counters of live and requested bytes. Not free memory: a miss first returns spare chunks to
 * their slabs and frees entirely free slabs, which stays done.
 */
export function liveSnapshot(arena: SlabArena<FakeSlab>) {
  const s = arena.stats();
  return {
    stats: {
      liveCount: s.liveCount,
      liveBytes: s.liveBytes,
      peakLiveBytes: s.peakLiveBytes,
      requestedBytes: s.requestedBytes,
      peakRequestedBytes: s.peakRequestedBytes,
      slabAllocations: s.slabAllocations,
      freshAllocations: s.freshAllocations,
      recycledAllocations: s.recycledAllocations,
      frees: s.frees,
    },
    live: snapshot(arena)
      .layouts.map(({ id, layout }) => ({
        id,
        live: layout.filter((r) => r.kind === "live" || (r.kind === "chunk" && r.liveCells > 0)),
      }))
      .filter(({ live }) => live.length > 0),
  };
}
