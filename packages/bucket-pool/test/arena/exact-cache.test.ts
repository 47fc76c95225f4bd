import { describe, expect, it } from "vitest";
import {
  type ArenaBlock,
  BlockRecycler,
  BlockState,
  ExactCache,
  kFitListCount,
  Slab,
} from "../../src/index.js";
import { fakeArena } from "./fake-slabs.js";

const MiB = 2 ** 20;

describe("ExactCache", () => {
  const slab = new Slab("slab", 4 * MiB, 0, {});
  const recycler = new BlockRecycler<string>();
  const block = (offset: number, size: number) => recycler.make(slab, offset, size);

  it("hands back the most recently cached block of exactly the size asked", () => {
    const cache = new ExactCache<string>(256, kFitListCount);
    const a = block(0, 33 * 256);
    const b = block(33 * 256, 33 * 256);
    const c = block(66 * 256, 32 * 256); // shares a list with 33 granules
    cache.put(a);
    cache.put(b);
    expect([a.state, cache.count, cache.bytes]).toEqual([BlockState.Cached, 2, 66 * 256]);
    expect(cache.take(33 * 256)).toBe(b);
    expect(b.state).toBe(BlockState.Free);
    cache.put(c);
    expect(cache.take(33 * 256)).toBeNull(); // the head is 32 granules: a miss, not a scan
    expect(cache.take(32 * 256)).toBe(c);
    expect(cache.take(33 * 256)).toBe(a);
    expect(cache.take(33 * 256)).toBeNull();
    expect([cache.count, cache.bytes]).toEqual([0, 0]);
  });

  it("flush hands every cached block back once", () => {
    const cache = new ExactCache<string>(256, kFitListCount);
    const blocks = [block(0, 20_480), block(20_480, 20_480), block(40_960, MiB)];
    for (const b of blocks) cache.put(b);
    const back: ArenaBlock<string>[] = [];
    expect(cache.flush((b) => back.push(b))).toBe(3);
    expect(new Set(back)).toEqual(new Set(blocks));
    expect(back.every((b) => b.state === BlockState.Free && b.nextFree === null)).toBe(true);
    expect([cache.count, cache.bytes, cache.flush(() => {})]).toEqual([0, 0, 0]);
  });
});

describe("SlabArena with the exact cache", () => {
  it("reuses a freed large block whole for the same size, without merging or splitting", () => {
    const { arena } = fakeArena();
    const a = arena.allocate(40_000);
    const b = arena.allocate(40_000);
    const offset = a.offset;
    arena.free(a, a.generation);
    const before = arena.stats();
    const again = arena.allocate(40_000);
    const after = arena.stats();
    expect([again, again.offset, again.fresh]).toEqual([a, offset, false]);
    expect(after.freeListOperations - before.freeListOperations).toBe(0);
    expect(arena.isLive(b, b.generation)).toBe(true);
  });

  it("merges cached blocks before making a slab, so caching never costs one", () => {
    const { arena, made } = fakeArena();
    const blocks = [1, 2, 3, 4].map(() => arena.allocate(200_000));
    const rest = arena.allocate(MiB - 4 * 200_192); // the slab is full
    for (const b of blocks) arena.free(b, b.generation);
    expect(arena.stats().cachedBlockCount).toBe(4);
    const big = arena.allocate(700_000); // fits only in the four merged
    expect(made).toHaveLength(1);
    expect([big.offset, arena.stats().cachedBlockCount]).toEqual([0, 0]);
    expect(arena.isLive(rest, rest.generation)).toBe(true);
  });
});

describe("freedBlockReuse", () => {
  // Cached: 20 KiB x 2 (adjacent) and 200 KiB; then a 30 KiB request that neither fits.
  function setUp(freedBlockReuse: "merge-first" | "exact-first") {
    const { arena } = fakeArena({ freedBlockReuse });
    const small = [arena.allocate(20_480), arena.allocate(20_480)];
    const large = arena.allocate(204_800);
    arena.allocate(MiB - 2 * 20_480 - 204_800 - 100_096); // a live tail before the free rest
    for (const b of [...small, large]) arena.free(b, b.generation);
    return arena;
  }

  it("merge-first merges every cached block before the fit serves a miss", () => {
    const arena = setUp("merge-first");
    const b = arena.allocate(30_720); // the fit's best list: the free rest, not the merged hole
    expect(arena.stats().cachedBlockCount).toBe(0);
    expect(arena.slabLayout(b.slab)[0]).toMatchObject({ offset: 0, size: 245_760, kind: "free" });
  });

  it("exact-first merges only cached blocks from half the request's size up to it", () => {
    const arena = setUp("exact-first");
    const b = arena.allocate(30_720); // the 20 KiB pair is near: merged into 40 KiB, served
    expect([b.offset, arena.stats().cachedBlockCount]).toEqual([0, 1]);
    const again = arena.allocate(204_800); // the 200 KiB block stayed whole
    expect([again.offset, arena.stats().cachedBlockCount]).toEqual([40_960, 0]);
  });
});
