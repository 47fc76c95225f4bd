import { describe, expect, it } from "vitest";
import {
  type ArenaBlock,
  kChunkBytes,
  MlxError,
  SlabArena,
  type SlabArenaOptions,
} from "../../src/index.js";
import { codeOf } from "../fake-handles.js";
import { type FakeSlab, fakeArena, liveSnapshot, snapshot } from "./fake-slabs.js";

const MiB = 2 ** 20;
const live = (arena: SlabArena<FakeSlab>, n: number) => arena.allocate(n);
const freeIt = (arena: SlabArena<FakeSlab>, b: ArenaBlock<FakeSlab>) => arena.free(b, b.generation);

describe("SlabArena options", () => {
  const base: SlabArenaOptions<FakeSlab> = {
    allocateSlab: (bytes) => ({ id: 0, bytes, freed: false }),
    freeSlab() {},
  };
  it.each([
    ["no callbacks", { allocateSlab: undefined }],
    ["alignment 3", { alignment: 3 }],
    ["alignment 8192", { alignment: 8192 }],
    ["alignment 0", { alignment: 0 }],
    ["minSlabBytes not a multiple of 16 KiB", { minSlabBytes: 100_000 }],
    ["minSlabBytes below 64 KiB", { minSlabBytes: 16384 }],
    ["maxSlabBytes below minSlabBytes", { minSlabBytes: 4 * MiB, maxSlabBytes: 2 * MiB }],
    ["slabHeldDivisor 0.5", { slabHeldDivisor: 0.5 }],
    ["slabHeldDivisor NaN", { slabHeldDivisor: Number.NaN }],
    ["maxHeldBytes 0", { maxHeldBytes: 0 }],
    ["freedBlockReuse unknown", { freedBlockReuse: "lru" }],
  ])("refuses %s with INVALID_ARGUMENT naming the value", (_, bad) => {
    try {
      new SlabArena({ ...base, ...bad } as SlabArenaOptions<FakeSlab>);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MlxError);
      expect((e as MlxError).code).toBe("INVALID_ARGUMENT");
      expect((e as MlxError).message).toMatch(/SlabArena: .*got/);
    }
  });

  it("fills in defaults: 256-byte granule, 1 MiB to 256 MiB slabs, held / 8", () => {
    const arena = new SlabArena(base);
    expect([arena.alignment, arena.granule, arena.minSlabBytes, arena.maxSlabBytes]).toEqual([
      256,
      256,
      MiB,
      256 * MiB,
    ]);
    expect(arena.slabHeldDivisor).toBe(8);
    expect(new SlabArena({ ...base, alignment: 64 }).granule).toBe(256);
    expect(new SlabArena({ ...base, alignment: 1024 }).granule).toBe(1024);
  });
});

describe("SlabArena allocate and free", () => {
  it("packs small and large requests into one slab at aligned offsets", () => {
    const { arena, made } = fakeArena();
    const a = live(arena, 1000);
    const b = live(arena, 100_000);
    const c = live(arena, 1000);
    expect(made.map((s) => s.bytes)).toEqual([MiB]);
    expect([a.slab, b.slab, c.slab].every((s) => s === a.slab)).toBe(true);
    expect([a.offset, a.size, c.offset, c.size]).toEqual([0, 1024, 1024, 1024]);
    expect([b.offset, b.size]).toEqual([kChunkBytes, 100_096]);
    expect(a.slab.handle).toBe(made[0]);
    const s = arena.stats();
    expect([s.liveCount, s.liveBytes, s.requestedBytes, s.heldBytes]).toEqual([
      3,
      1024 + 100_096 + 1024,
      102_000,
      MiB,
    ]);
  });

  it("says which ranges were never handed out (fresh) and which are recycled", () => {
    const { arena } = fakeArena();
    const a = live(arena, 50_000);
    expect(a.fresh).toBe(true);
    freeIt(arena, a);
    const b = live(arena, 50_000);
    expect([b.offset, b.fresh]).toEqual([a.offset, false]);
    const c = live(arena, 50_000); // beyond b: never handed out
    expect(c.fresh).toBe(true);
    const cell = live(arena, 300);
    freeIt(arena, cell);
    expect(live(arena, 300).fresh).toBe(false);
    const s = arena.stats();
    expect([s.freshAllocations, s.recycledAllocations]).toEqual([3, 2]);
  });

  it("honours a large alignment in every offset", () => {
    const { arena } = fakeArena({ alignment: 4096 });
    const blocks = [1, 5000, 17_000, 300_000, 12, 4097].map((n) => live(arena, n));
    for (const b of blocks) expect(b.offset % 4096).toBe(0);
  });

  it("refuses bad lengths with INVALID_ARGUMENT and changes nothing", () => {
    const { arena } = fakeArena();
    live(arena, 5000);
    const before = snapshot(arena);
    for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 42 + 1, "8", null]) {
      expect(codeOf(() => arena.allocate(n as number))).toBe("INVALID_ARGUMENT");
    }
    expect(snapshot(arena)).toEqual(before);
  });

  it("refuses a stale lease, a foreign block and a non-block, changing nothing", () => {
    const { arena } = fakeArena();
    const other = fakeArena().arena;
    const a = live(arena, 1000);
    const gen = a.generation;
    const big = live(arena, 70_000);
    freeIt(arena, a);
    const foreign = other.allocate(1000);
    const before = snapshot(arena);
    expect(codeOf(() => arena.free(a, gen))).toBe("STALE_BUFFER");
    expect(codeOf(() => arena.free(big, big.generation + 1))).toBe("STALE_BUFFER");
    expect(codeOf(() => arena.free(foreign, foreign.generation))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => arena.free({} as ArenaBlock<FakeSlab>, 0))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => arena.free(null as unknown as ArenaBlock<FakeSlab>, 0))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(snapshot(arena)).toEqual(before);
    // A reused block object: the old (block, generation) pair stays stale.
    const reused = live(arena, 1000);
    expect(reused).toBe(a);
    expect(arena.isLive(a, gen)).toBe(false);
    expect(arena.isLive(reused, reused.generation)).toBe(true);
  });
});

describe("SlabArena slabs", () => {
  it("sizes a new slab max(minSlabBytes, request rounded to 16 KiB, held / divisor)", () => {
    const { arena, made } = fakeArena({ slabHeldDivisor: 4 });
    live(arena, 900 * 1024);
    live(arena, 900 * 1024); // no room left: held 1 MiB / 4 is below the minimum
    live(arena, 3 * MiB + 1); // larger than the minimum: its own size, rounded
    live(arena, 900 * 1024); // held (5 MiB + 16 KiB) / 4, rounded up to 16 KiB
    expect(made.map((s) => s.bytes)).toEqual([MiB, MiB, 3 * MiB + 16384, 1.25 * MiB + 16384]);
  });

  it("clamps the held-based size to maxSlabBytes", () => {
    const { arena, made } = fakeArena({ maxSlabBytes: 2 * MiB, slabHeldDivisor: 1 });
    for (let i = 0; i < 4; i++) live(arena, MiB);
    expect(made.map((s) => s.bytes)).toEqual([MiB, MiB, 2 * MiB]);
  });

  it("frees entirely free slabs just before a miss makes a new one", () => {
    const events: string[] = [];
    const arena = new SlabArena<number>({
      allocateSlab: (bytes) => {
        events.push(`make ${bytes}`);
        return bytes;
      },
      freeSlab: (_, bytes) => events.push(`free ${bytes}`),
    });
    const a = arena.allocate(600 * 1024);
    arena.free(a, a.generation);
    expect(events).toEqual([`make ${MiB}`]);
    const b = arena.allocate(2 * MiB); // does not fit the empty 1 MiB slab
    expect(events).toEqual([`make ${MiB}`, `free ${MiB}`, `make ${2 * MiB}`]);
    expect([arena.slabCount, arena.heldBytes, b.slab.handle]).toEqual([1, 2 * MiB, 2 * MiB]);
    const s = arena.stats();
    expect([s.slabReleases, s.peakHeldBytes, s.slabCountAtPeakHeld]).toEqual([1, 2 * MiB, 1]);
  });

  it("a throwing allocateSlab leaves the arena exactly as it was", () => {
    const f = fakeArena();
    const cells = [300, 300, 16_000].map((n) => live(f.arena, n));
    live(f.arena, 600_000);
    freeIt(f.arena, cells[2] as ArenaBlock<FakeSlab>); // a spare chunk that a miss may return
    const before = liveSnapshot(f.arena);
    f.failNextSlab();
    expect(() => f.arena.allocate(5 * MiB)).toThrow("injected slab allocation failure");
    expect(liveSnapshot(f.arena)).toEqual(before);
    expect(f.made).toHaveLength(1);
    // It still works afterwards.
    expect(live(f.arena, 5 * MiB).size).toBe(5 * MiB);
  });

  it("past maxHeldBytes: a smaller slab if the request fits, else MEMORY_LIMIT changing nothing", () => {
    const { arena, made } = fakeArena({ maxHeldBytes: 1.5 * MiB });
    live(arena, 900 * 1024);
    live(arena, 300 * 1024); // needs a second slab: only 0.5 MiB may be added
    expect(made.map((s) => s.bytes)).toEqual([MiB, 0.5 * MiB]);
    const before = snapshot(arena);
    expect(codeOf(() => arena.allocate(MiB))).toBe("MEMORY_LIMIT");
    expect(snapshot(arena)).toEqual(before);
  });

  it("counts entirely free slabs as room under a limit", () => {
    const { arena, made } = fakeArena({ maxHeldBytes: 2 * MiB });
    freeIt(arena, live(arena, 600_000));
    live(arena, 2 * MiB);
    expect(made.map((s) => [s.bytes, s.freed])).toEqual([
      [MiB, true],
      [2 * MiB, false],
    ]);
    expect(arena.stats().peakHeldBytes).toBe(2 * MiB);
  });

  it("a throwing allocateSlab after freeing free slabs keeps every live range", () => {
    const f = fakeArena();
    const kept = live(f.arena, 300);
    freeIt(f.arena, live(f.arena, 2 * MiB)); // an entirely free 2 MiB slab
    const before = liveSnapshot(f.arena);
    f.failNextSlab();
    expect(() => f.arena.allocate(3 * MiB)).toThrow("injected slab allocation failure");
    expect(liveSnapshot(f.arena)).toEqual(before);
    expect(f.arena.isLive(kept, kept.generation)).toBe(true);
    expect([f.arena.heldBytes, f.heldByNative()]).toEqual([MiB, MiB]);
  });

  it("clear frees entirely free slabs (spare chunks first) and keeps slabs with live ranges", () => {
    const { arena, made } = fakeArena();
    const a = live(arena, 1000);
    const b = live(arena, 2 * MiB);
    freeIt(arena, a);
    expect(arena.stats().spareChunkCount).toBe(1);
    expect(arena.clear()).toBe(1);
    expect(made.map((s) => s.freed)).toEqual([true, false]);
    expect(arena.heldBytes).toBe(b.slab.size);
    expect(arena.isLive(b, b.generation)).toBe(true);
    freeIt(arena, b);
    expect(arena.clear()).toBe(1);
    expect([arena.heldBytes, arena.slabCount]).toEqual([0, 0]);
  });

  it("a throwing freeSlab in clear is rethrown once every slab is accounted for", () => {
    let calls = 0;
    const arena = new SlabArena<number>({
      allocateSlab: (bytes) => bytes,
      freeSlab() {
        calls++;
        throw new Error("driver refused");
      },
    });
    arena.free(...lease(arena.allocate(2 * MiB)));
    arena.free(...lease(arena.allocate(3 * MiB))); // frees the first on the way (error kept)
    expect(arena.stats().freeSlabErrors).toBe(1);
    expect(() => arena.clear()).toThrow("driver refused");
    expect([calls, arena.heldBytes, arena.slabCount]).toEqual([2, 0, 0]);
  });

  it("dispose frees every slab, makes every lease stale, is idempotent, and refuses later calls", () => {
    const { arena, made } = fakeArena();
    const a = live(arena, 1000);
    const b = live(arena, 3 * MiB);
    arena.dispose();
    arena.dispose();
    expect(made.every((s) => s.freed)).toBe(true);
    expect([arena.isLive(a, a.generation), arena.isLive(b, b.generation)]).toEqual([false, false]);
    expect([arena.heldBytes, arena.liveBytes, arena.slabCount]).toEqual([0, 0, 0]);
    expect(codeOf(() => arena.allocate(8))).toBe("DISPOSED");
    expect(codeOf(() => arena.free(a, a.generation))).toBe("DISPOSED");
    expect(codeOf(() => arena.clear())).toBe("DISPOSED");
    expect(codeOf(() => arena.compact())).toBe("DISPOSED");
    expect(codeOf(() => arena.slabLayout(a.slab))).toBe("INVALID_ARGUMENT");
    expect(arena.stats().slabReleases).toBe(made.length);
  });

  it("slabLayout describes chunks, live and free ranges in address order", () => {
    const { arena } = fakeArena();
    live(arena, 1000);
    const big = live(arena, 20_000);
    const slab = big.slab;
    expect(arena.slabLayout(slab)).toEqual([
      { offset: 0, size: kChunkBytes, kind: "chunk", freshBytes: kChunkBytes, liveCells: 1 },
      { offset: kChunkBytes, size: 20_224, kind: "live", freshBytes: 20_224, liveCells: 0 },
      {
        offset: kChunkBytes + 20_224,
        size: MiB - kChunkBytes - 20_224,
        kind: "free",
        freshBytes: MiB - kChunkBytes - 20_224,
        liveCells: 0,
      },
    ]);
    expect(codeOf(() => arena.slabLayout(fakeArena().arena.allocate(8).slab))).toBe(
      "INVALID_ARGUMENT",
    );
  });
});

function lease<S>(block: ArenaBlock<S>): [ArenaBlock<S>, number] {
  return [block, block.generation];
}

describe("SlabArena fresh memory", () => {
  it("keeps the never-handed-out end of a slab fresh across frees and merges", () => {
    const { arena } = fakeArena();
    const a = live(arena, 40_000);
    const b = live(arena, 40_000);
    const slab = a.slab;
    const used = a.size + b.size;
    freeIt(arena, a); // cached whole, then merged away by compact: the objects may be reused
    freeIt(arena, b);
    expect(arena.slabLayout(slab).map((r) => r.kind)).toEqual(["cached", "cached", "free"]);
    expect(arena.compact()).toBe(2);
    const [whole] = arena.slabLayout(slab);
    expect(whole).toMatchObject({ offset: 0, size: MiB, kind: "free" });
    expect(whole?.freshBytes).toBe(MiB - used);
    // A returned chunk keeps its uncarved cells fresh.
    const cells = [live(arena, 300), live(arena, 300)];
    for (const c of cells) freeIt(arena, c);
    arena.compact();
    expect(arena.slabLayout(slab)[0]?.freshBytes).toBe(MiB - used);
    const spanning = live(arena, 200_000);
    expect([spanning.offset, spanning.fresh]).toEqual([0, false]);
    const beyond = live(arena, 200_000);
    expect(beyond.fresh).toBe(true);
  });
});

describe("SlabArena checked entry points", () => {
  it("allocateChecked and freeChecked do the same work without the checks", () => {
    const { arena } = fakeArena();
    const a = arena.allocateChecked(1000);
    const b = arena.allocateChecked(70_000);
    expect([a.size, b.size, arena.stats().liveCount]).toEqual([1024, 70_144, 2]);
    arena.freeChecked(a);
    arena.freeChecked(b);
    expect([arena.liveBytes, arena.requestedBytes]).toEqual([0, 0]);
    expect(arena.slabLayout(a.slab).filter((r) => r.kind === "free")).toHaveLength(1);
  });

  it("[Symbol.dispose] disposes it", () => {
    const { arena, made } = fakeArena();
    arena.allocate(8);
    arena[Symbol.dispose]();
    expect(arena.isDisposed).toBe(true);
    expect(made.every((s) => s.freed)).toBe(true);
  });
});
