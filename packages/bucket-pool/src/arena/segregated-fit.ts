import { type ArenaBlock, type BlockRecycler, BlockState, type Slab } from "./slab.js";

/** Sub-lists per power of two: 2^4. */
const kSecondLevelLog = 4;
const kSubLists = 1 << kSecondLevelLog;
/** First levels: one bit each in a 32-bit bitmap. */
const kFirstLevels = 32;
const kListCount = kFirstLevels * kSubLists;
/** Number of size lists of the fit (and of the exact cache beside it). */
export const kFitListCount = kListCount;

/** floor(log2(u)) for an integer u >= 1 (u may exceed 32 bits). */
function floorLog2(u: number): number {
  if (u < 0x8000_0000) return 31 - Math.clz32(u);
  let f = Math.floor(Math.log2(u));
  if (2 ** f > u) f--;
  else if (2 ** (f + 1) <= u) f++;
  return f;
}

/**
 * The list a free block of `u` granules is filed in. Below 16 granules each size has its own
 * list; above, each power of two [2^f, 2^(f+1)) is split into 16 equal ranges.
 */
export function listIndex(u: number): number {
  if (u < kSubLists) return u;
  const f = floorLog2(u);
  const sub =
    u < 0x8000_0000 ? u >>> (f - kSecondLevelLog) : Math.floor(u / 2 ** (f - kSecondLevelLog));
  return (f - kSecondLevelLog + 1) * kSubLists + (sub - kSubLists);
}

/**
 * The first list whose every block holds `u` granules: `u` rounded up to the next list boundary.
 * May be `kListCount` or more when nothing could hold it.
 */
export function searchIndex(u: number): number {
  if (u < kSubLists) return u;
  const f = floorLog2(u);
  // A shift keeps a small integer; `2 **` would compute a double on every large request.
  const step = u < 0x8000_0000 ? 1 << (f - kSecondLevelLog) : 2 ** (f - kSecondLevelLog);
  return listIndex(u + step - 1);
}

/** Where the never-handed-out suffix of `left` followed by `right` starts. */
function mergedFreshFrom<S>(left: ArenaBlock<S>, right: ArenaBlock<S>): number {
  return right.freshFrom === right.offset ? left.freshFrom : right.freshFrom;
}

/** Index of the lowest set bit of a non-zero 32-bit integer. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * A two-level segregated fit (TLSF) over the free blocks of every slab: free blocks are filed by
 * size in 32 x 16 lists, and two levels of bitmaps find a non-empty list in constant time (no
 * scan of blocks or lists). A request tries the head of its own list first (it may be large
 * enough), then the first block of the first list whose blocks are all large enough. Freed
 * blocks merge with free physical neighbours at once, so holes left by a buffer that grows a
 * little each step join into one. It also knows which slabs are entirely free.
 */
export class SegregatedFit<S> {
  /** Free blocks and their bytes. */
  freeCount = 0;
  freeBytes = 0;
  /** Instrumentation: blocks looked at while searching, and list insertions and removals. */
  examined = 0;
  listOps = 0;
  /** Slabs that are one free block, linked through `emptyNext`. */
  emptyHead: Slab<S> | null = null;
  emptyCount = 0;
  emptyBytes = 0;

  private readonly granule: number;
  private readonly granuleLog: number;
  private readonly recycler: BlockRecycler<S>;
  private firstLevelBits = 0;
  private readonly secondLevelBits = new Int32Array(kFirstLevels);
  private readonly heads: (ArenaBlock<S> | null)[] = new Array(kListCount).fill(null);

  constructor(granule: number, recycler: BlockRecycler<S>) {
    this.granule = granule;
    this.granuleLog = 31 - Math.clz32(granule);
    this.recycler = recycler;
  }

  /** Files a new slab as one free block covering it. */
  addSlab(slab: Slab<S>): void {
    const block = this.recycler.make(slab, 0, slab.size);
    slab.first = block;
    this.insert(block);
  }

  /** Takes an entirely free slab out of the lists; its block is retired. */
  removeSlab(slab: Slab<S>): void {
    const block = slab.first as ArenaBlock<S>;
    this.remove(block);
    this.recycler.retire(block);
    slab.first = null;
  }

  /**
   * A block of exactly `size` bytes (a multiple of the granule), cut from the front of a free
   * block that holds it; the rest, if any, stays free. Null when no free block is large enough.
   * The block keeps state `Free`: the caller sets what it becomes.
   */
  take(size: number): ArenaBlock<S> | null {
    const u = this.units(size);
    let block = this.heads[listIndex(u)] as ArenaBlock<S> | null;
    this.examined++;
    if (block === null || block.size < size) {
      block = this.firstFit(searchIndex(u));
      if (block === null) return null;
      this.examined++;
    }
    this.remove(block);
    if (block.size > size) {
      const rest = this.recycler.make(block.slab, block.offset + size, block.size - size);
      rest.freshFrom = Math.max(rest.offset, block.freshFrom);
      block.freshFrom = Math.min(block.freshFrom, block.offset + size);
      rest.prevPhys = block;
      rest.nextPhys = block.nextPhys;
      if (block.nextPhys !== null) block.nextPhys.prevPhys = rest;
      block.nextPhys = rest;
      block.size = size;
      this.insert(rest);
    }
    return block;
  }

  /**
   * Returns a block to the free lists, merged with its free neighbours; returns the merged block.
   * Merged-away block objects are retired (dead under their generation).
   */
  release(block: ArenaBlock<S>): ArenaBlock<S> {
    let merged = block;
    const prev = merged.prevPhys;
    if (prev !== null && prev.state === BlockState.Free) {
      this.remove(prev);
      prev.size += merged.size;
      prev.freshFrom = mergedFreshFrom(prev, merged);
      prev.nextPhys = merged.nextPhys;
      if (merged.nextPhys !== null) merged.nextPhys.prevPhys = prev;
      this.recycler.retire(merged);
      merged = prev;
    }
    const next = merged.nextPhys;
    if (next !== null && next.state === BlockState.Free) {
      this.remove(next);
      merged.size += next.size;
      merged.freshFrom = mergedFreshFrom(merged, next);
      merged.nextPhys = next.nextPhys;
      if (next.nextPhys !== null) next.nextPhys.prevPhys = merged;
      this.recycler.retire(next);
    }
    this.insert(merged);
    return merged;
  }

  /** Forgets every list (the arena is disposed). */
  clear(): void {
    this.heads.fill(null);
    this.secondLevelBits.fill(0);
    this.firstLevelBits = 0;
    this.freeCount = 0;
    this.freeBytes = 0;
    this.emptyHead = null;
    this.emptyCount = 0;
    this.emptyBytes = 0;
  }

  /**
   * `bytes` in granules. A shift keeps a small integer: a division would make a double, boxed on
   * every call that is not inlined.
   */
  private units(bytes: number): number {
    return bytes < 0x8000_0000 ? bytes >>> this.granuleLog : bytes / this.granule;
  }

  /** The first block of the first non-empty list at or after `index`, found by the bitmaps. */
  private firstFit(index: number): ArenaBlock<S> | null {
    if (index >= kListCount) return null;
    let fl = index >>> kSecondLevelLog;
    let bits = (this.secondLevelBits[fl] as number) & (-1 << (index & (kSubLists - 1)));
    if (bits === 0) {
      // -1 << 32 would be -1 << 0 in JavaScript: the last level has nothing above it.
      const above = fl + 1 < kFirstLevels ? this.firstLevelBits & (-1 << (fl + 1)) : 0;
      if (above === 0) return null;
      fl = lowestBit(above);
      bits = this.secondLevelBits[fl] as number;
    }
    return this.heads[fl * kSubLists + lowestBit(bits)] as ArenaBlock<S>;
  }

  private insert(block: ArenaBlock<S>): void {
    block.state = BlockState.Free;
    const index = listIndex(this.units(block.size));
    block.list = index;
    const head = this.heads[index] as ArenaBlock<S> | null;
    block.prevFree = null;
    block.nextFree = head;
    if (head !== null) head.prevFree = block;
    this.heads[index] = block;
    const fl = index >>> kSecondLevelLog;
    this.secondLevelBits[fl] =
      (this.secondLevelBits[fl] as number) | (1 << (index & (kSubLists - 1)));
    this.firstLevelBits |= 1 << fl;
    this.freeCount++;
    this.freeBytes += block.size;
    this.listOps++;
    if (block.prevPhys === null && block.nextPhys === null) this.linkEmpty(block.slab);
  }

  private remove(block: ArenaBlock<S>): void {
    const index = block.list;
    if (block.prevFree !== null) block.prevFree.nextFree = block.nextFree;
    else this.heads[index] = block.nextFree;
    if (block.nextFree !== null) block.nextFree.prevFree = block.prevFree;
    block.prevFree = null;
    block.nextFree = null;
    if (this.heads[index] === null) {
      const fl = index >>> kSecondLevelLog;
      const bits = (this.secondLevelBits[fl] as number) & ~(1 << (index & (kSubLists - 1)));
      this.secondLevelBits[fl] = bits;
      if (bits === 0) this.firstLevelBits &= ~(1 << fl);
    }
    this.freeCount--;
    this.freeBytes -= block.size;
    this.listOps++;
    if (block.slab.inEmptyList) this.unlinkEmpty(block.slab);
  }

  private linkEmpty(slab: Slab<S>): void {
    slab.inEmptyList = true;
    slab.emptyPrev = null;
    slab.emptyNext = this.emptyHead;
    if (this.emptyHead !== null) this.emptyHead.emptyPrev = slab;
    this.emptyHead = slab;
    this.emptyCount++;
    this.emptyBytes += slab.size;
  }

  private unlinkEmpty(slab: Slab<S>): void {
    if (slab.emptyPrev !== null) slab.emptyPrev.emptyNext = slab.emptyNext;
    else this.emptyHead = slab.emptyNext;
    if (slab.emptyNext !== null) slab.emptyNext.emptyPrev = slab.emptyPrev;
    slab.emptyPrev = null;
    slab.emptyNext = null;
    slab.inEmptyList = false;
    this.emptyCount--;
    this.emptyBytes -= slab.size;
  }
}
