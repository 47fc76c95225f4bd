import { describe, expect, it } from "vitest";
import {
  type ArenaBlock,
  BlockRecycler,
  BlockState,
  listIndex,
  SegregatedFit,
  Slab,
  searchIndex,
} from "../../src/index.js";

const G = 256;

function fit() {
  const recycler = new BlockRecycler<string>();
  const tlsf = new SegregatedFit<string>(G, recycler);
  let id = 0;
  const addSlab = (bytes: number) => {
    const slab = new Slab(`slab${id}`, bytes, id++, {});
    tlsf.addSlab(slab);
    return slab;
  };
  const take = (bytes: number) => {
    const block = tlsf.take(bytes);
    if (block !== null) block.state = BlockState.Live;
    return block;
  };
  return { tlsf, addSlab, take };
}

function layout(slab: Slab<string>) {
  const out: [number, number, BlockState][] = [];
  for (let b = slab.first; b !== null; b = b.nextPhys) out.push([b.offset, b.size, b.state]);
  return out;
}

describe("list mapping", () => {
  it("gives each size below 16 granules its own list, then 16 lists per power of two", () => {
    expect([1, 2, 15].map(listIndex)).toEqual([1, 2, 15]);
    expect(listIndex(16)).toBe(16);
    expect(listIndex(31)).toBe(31);
    expect(listIndex(32)).toBe(32);
    expect(listIndex(33)).toBe(32); // [32, 34) share a list
    expect(listIndex(34)).toBe(33);
    expect(listIndex(2 ** 34)).toBe(31 * 16);
  });

  it("is monotone, and the search list is the first whose every block holds the request", () => {
    const us = [
      ...Array.from({ length: 5000 }, (_, i) => i + 1),
      ...Array.from({ length: 200 }, (_, i) => Math.floor(1.37 ** (i / 3)) + 1),
      2 ** 31 - 1,
      2 ** 31,
      2 ** 31 + 1,
      2 ** 33 + 12345,
    ].sort((a, b) => a - b);
    const wrong: number[] = [];
    let last = 0;
    for (const u of us) {
      const index = listIndex(u);
      if (index < last) wrong.push(u);
      last = index;
      // Every block filed in the search list holds u, and the list before it may not.
      const s = searchIndex(u);
      if (s < index) wrong.push(u);
      if (s < 512 && smallestOfList(s) < u) wrong.push(u);
      if (s > index && smallestOfList(s - 1) >= u) wrong.push(u);
    }
    expect(wrong).toEqual([]);
  });
});

/** The smallest granule count filed in list `index` (by bisection on the monotone mapping). */
function smallestOfList(index: number): number {
  let lo = 1;
  let hi = 2 ** 35;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (listIndex(mid) < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

describe("SegregatedFit", () => {
  it("cuts from the front and files the rest", () => {
    const { tlsf, addSlab, take } = fit();
    const slab = addSlab(1 << 20);
    expect(tlsf.emptyCount).toBe(1);
    const a = take(4096) as ArenaBlock<string>;
    const b = take(8192) as ArenaBlock<string>;
    expect([a.offset, a.size, b.offset, b.size]).toEqual([0, 4096, 4096, 8192]);
    expect(tlsf.emptyCount).toBe(0);
    expect(layout(slab)).toEqual([
      [0, 4096, BlockState.Live],
      [4096, 8192, BlockState.Live],
      [12288, (1 << 20) - 12288, BlockState.Free],
    ]);
    expect([tlsf.freeCount, tlsf.freeBytes]).toEqual([1, (1 << 20) - 12288]);
  });

  it("merges a freed block with both free neighbours, and knows the slab is empty again", () => {
    const { tlsf, addSlab, take } = fit();
    const slab = addSlab(1 << 20);
    const [a, b, c, d] = [4096, 4096, 4096, 4096].map((n) => take(n) as ArenaBlock<string>);
    tlsf.release(a as ArenaBlock<string>);
    tlsf.release(c as ArenaBlock<string>);
    expect(tlsf.freeCount).toBe(3);
    const merged = tlsf.release(b as ArenaBlock<string>);
    expect([merged.offset, merged.size]).toEqual([0, 3 * 4096]);
    expect(tlsf.freeCount).toBe(2);
    const whole = tlsf.release(d as ArenaBlock<string>);
    expect(layout(slab)).toEqual([[0, 1 << 20, BlockState.Free]]);
    expect(whole).toBe(slab.first);
    expect([tlsf.freeCount, tlsf.emptyCount, tlsf.emptyBytes]).toEqual([1, 1, 1 << 20]);
    // Merged-away objects are dead under their old generation.
    expect([b, c, d].map((x) => x?.state)).toEqual([
      BlockState.Dead,
      BlockState.Dead,
      BlockState.Dead,
    ]);
  });

  it("tries the head of the request's own list before rounding up", () => {
    const { addSlab, take, tlsf } = fit();
    // Two free holes in the list of 33 granules ([32, 34) share it): 33 and 32 granules.
    addSlab(1 << 20);
    const parts = [33 * G, G, 32 * G, G].map((n) => take(n) as ArenaBlock<string>);
    take(tlsf.freeBytes); // the tail: nothing else free
    tlsf.release(parts[0] as ArenaBlock<string>);
    expect(tlsf.take(33 * G)?.offset).toBe(0);
    tlsf.release(parts[2] as ArenaBlock<string>);
    // The head (32 granules) is too small for 33: the rounded search finds nothing above.
    expect(tlsf.take(33 * G)).toBeNull();
    expect(tlsf.take(32 * G)?.offset).toBe(34 * G);
  });

  it("looks at most two blocks per take, however many are free", () => {
    const { tlsf, addSlab, take } = fit();
    addSlab(64 << 20);
    const blocks: ArenaBlock<string>[] = [];
    for (let i = 0; i < 2000; i++) blocks.push(take(((i % 37) + 1) * G) as ArenaBlock<string>);
    for (let i = 0; i < blocks.length; i += 2) tlsf.release(blocks[i] as ArenaBlock<string>);
    expect(tlsf.freeCount).toBeGreaterThan(900);
    for (const n of [G, 5 * G, 40 * G, 1000 * G, 1 << 20]) {
      const before = tlsf.examined;
      take(n);
      expect(tlsf.examined - before).toBeLessThanOrEqual(2);
    }
  });

  it("removes an empty slab and serves sizes beyond 32-bit granule counts", () => {
    const { tlsf, addSlab, take } = fit();
    const slab = addSlab(2 ** 42);
    const big = take(2 ** 41 + G) as ArenaBlock<string>;
    expect([big.offset, big.size]).toEqual([0, 2 ** 41 + G]);
    expect(take(2 ** 41)).toBeNull();
    tlsf.release(big);
    expect(tlsf.emptyHead).toBe(slab);
    tlsf.removeSlab(slab);
    expect([tlsf.freeCount, tlsf.emptyCount, slab.first]).toEqual([0, 0, null]);
  });
});
