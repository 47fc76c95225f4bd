import { listIndex, searchIndex } from "./segregated-fit.js";

/** Lists below a missed request whose cached blocks are merged first: one power of two. */
const kNearLists = 16;

import { type ArenaBlock, BlockState } from "./slab.js";

/**
 * Freed large blocks kept whole, on a LIFO list per fit list, for a later request of exactly
 * their size: a decode step asks for the same sizes each time, and reusing a block as it is costs
 * a pop instead of a merge with its neighbours and a split again. Nothing is merged while cached;
 * on a request the cache cannot serve, the arena hands the fit (which merges them) every cached
 * block, or those near the request's size, before the fit serves it, so that a buffer that grows
 * a little each step finds its old hole joined with its neighbours; before any slab is made,
 * every one. Each block is flushed at most once per free, so this costs O(1) amortized. Lists are
 * by fit list: a head of another size in the same list is a miss here. A bitmap of non-empty
 * lists keeps a flush O(cached blocks).
 */
export class ExactCache<S> {
  count = 0;
  bytes = 0;
  private readonly granuleLog: number;
  private readonly granule: number;
  private readonly heads: (ArenaBlock<S> | null)[];
  /** Bit `i & 31` of word `i >>> 5`: list `i` is not empty. */
  private readonly nonEmpty: Int32Array;

  constructor(granule: number, lists: number) {
    this.granule = granule;
    this.granuleLog = 31 - Math.clz32(granule);
    this.heads = new Array(lists).fill(null);
    this.nonEmpty = new Int32Array(Math.ceil(lists / 32));
  }

  /** The most recently cached block of exactly `size` bytes, taken off its list; else null. */
  take(size: number): ArenaBlock<S> | null {
    const index = listIndex(size < 0x8000_0000 ? size >>> this.granuleLog : size / this.granule);
    const block = this.heads[index] as ArenaBlock<S> | null;
    if (block === null || block.size !== size) return null;
    this.heads[index] = block.nextFree;
    if (block.nextFree !== null) block.nextFree.prevFree = null;
    else {
      const w = index >>> 5;
      this.nonEmpty[w] = (this.nonEmpty[w] as number) & ~(1 << (index & 31));
    }
    block.nextFree = null;
    block.state = BlockState.Free;
    this.count--;
    this.bytes -= size;
    return block;
  }

  /** Keeps a freed large block whole. */
  put(block: ArenaBlock<S>): void {
    const size = block.size;
    const index = listIndex(size < 0x8000_0000 ? size >>> this.granuleLog : size / this.granule);
    const head = this.heads[index] as ArenaBlock<S> | null;
    block.state = BlockState.Cached;
    block.prevFree = null;
    block.nextFree = head;
    if (head !== null) head.prevFree = block;
    else {
      const w = index >>> 5;
      this.nonEmpty[w] = (this.nonEmpty[w] as number) | (1 << (index & 31));
    }
    this.heads[index] = block;
    this.count++;
    this.bytes += size;
  }

  /**
   * A request of `size` bytes missed: hands `back` the cached blocks of its search list and the
   * 16 lists below it (sizes down to half of it), so that they merge before the fit serves it.
   */
  flushNear(size: number, back: (block: ArenaBlock<S>) => void): number {
    const top = searchIndex(size < 0x8000_0000 ? size >>> this.granuleLog : size / this.granule);
    const last = Math.min(top, this.heads.length - 1);
    let flushed = 0;
    for (let i = Math.max(0, top - kNearLists); i <= last; i++) {
      if (this.heads[i] !== null) flushed += this.flushList(i, back);
    }
    return flushed;
  }

  /** Hands every cached block to `back` (the fit, which merges it); returns how many. */
  flush(back: (block: ArenaBlock<S>) => void): number {
    let flushed = 0;
    for (let w = 0; w < this.nonEmpty.length; w++) {
      let bits = this.nonEmpty[w] as number;
      this.nonEmpty[w] = 0;
      while (bits !== 0) {
        const i = w * 32 + (31 - Math.clz32(bits & -bits));
        bits &= bits - 1;
        flushed += this.flushList(i, back);
      }
    }
    return flushed;
  }

  private flushList(i: number, back: (block: ArenaBlock<S>) => void): number {
    let flushed = 0;
    let block = this.heads[i] as ArenaBlock<S> | null;
    this.heads[i] = null;
    const w = i >>> 5;
    this.nonEmpty[w] = (this.nonEmpty[w] as number) & ~(1 << (i & 31));
    while (block !== null) {
      const next = block.nextFree;
      block.prevFree = null;
      block.nextFree = null;
      block.state = BlockState.Free;
      this.count--;
      this.bytes -= block.size;
      flushed++;
      back(block);
      block = next;
    }
    return flushed;
  }

  /** Forgets every cached block (the arena is disposed). */
  clear(): void {
    this.heads.fill(null);
    this.nonEmpty.fill(0);
    this.count = 0;
    this.bytes = 0;
  }
}
