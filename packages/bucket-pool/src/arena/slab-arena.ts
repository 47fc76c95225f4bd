import { disposedError, MlxError } from "../errors.js";
import {
  type FreedBlockReuse,
  kChunkBytes,
  kMaxArenaRequestBytes,
  kSlabRoundBytes,
  kSmallMaxBytes,
  resolveArenaOptions,
  type SlabArenaOptions,
} from "./arena-options.js";
import type { SlabArenaStats } from "./arena-stats.js";
import { ExactCache } from "./exact-cache.js";
import { kFitListCount, SegregatedFit } from "./segregated-fit.js";
import { ArenaBlock, BlockRecycler, BlockState, Slab } from "./slab.js";
import { SmallClasses } from "./small-classes.js";

/** One range of a slab, as {@link SlabArena.slabLayout} describes it. */
export interface SlabRange {
  readonly offset: number;
  readonly size: number;
  /**
   * `chunk`: a 64 KiB block of small cells (`liveCells` of them handed out); `cached`: a freed
   * large block kept whole for a request of its size.
   */
  readonly kind: "free" | "live" | "chunk" | "cached";
  /** Bytes at the end of a free or chunk range never handed out; a live range's, if it is fresh. */
  readonly freshBytes: number;
  readonly liveCells: number;
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/**
 * A sub-allocating arena: few large native allocations (slabs), cut into the ranges callers ask
 * for. Requests up to 16 KiB take a cell of a fine size class ({@link SmallClasses}); larger ones
 * a freed block of exactly their size ({@link ExactCache}), else a block of a two-level
 * segregated fit ({@link SegregatedFit}) that merges free neighbours. Each is O(1) per allocate
 * and free without scanning (merging cached blocks is O(1) amortized: once per free). A new slab is made only when nothing
 * free fits: max(minSlabBytes, the request rounded up to 16 KiB), and at least held / divisor
 * so that a large model needs few slabs; entirely free slabs are freed at that moment.
 *
 * Slabs come from injected callbacks, so the arena knows nothing of GPUs: the caller binds
 * `block.slab.handle` at `block.offset`. A lease is `(block, block.generation)` as returned.
 */
export class SlabArena<S> {
  readonly alignment: number;
  /** Every size and offset is a multiple of this: max(256, alignment). */
  readonly granule: number;
  readonly minSlabBytes: number;
  readonly maxSlabBytes: number;
  readonly slabHeldDivisor: number;
  readonly maxHeldBytes: number;
  readonly freedBlockReuse: FreedBlockReuse;
  /** The last error `freeSlab` threw while a miss replaced free slabs (counted in stats). */
  lastFreeSlabError: unknown = undefined;

  private readonly allocateSlab: (bytes: number, inBatch: boolean) => S;
  private readonly freeSlab: (slab: S, bytes: number) => void;
  private readonly recycler = new BlockRecycler<S>();
  private readonly fit: SegregatedFit<S>;
  private readonly small: SmallClasses<S>;
  private readonly cache: ExactCache<S>;
  /** Every slab held, in the order made (for clear, dispose and inspection; not the hot path). */
  private readonly slabs = new Set<Slab<S>>();
  private nextSlabId = 0;
  private readonly mergeAllOnMiss: boolean;
  private disposed = false;

  private heldBytesNow = 0;
  private peakHeldBytes = 0;
  private peakSlabCount = 0;
  private slabCountAtPeakHeld = 0;
  private liveCount = 0;
  private liveBytesNow = 0;
  private peakLiveBytes = 0;
  private requestedBytesNow = 0;
  private peakRequestedBytes = 0;
  private slabAllocations = 0;
  private slabReleases = 0;
  private freshAllocations = 0;
  private recycledAllocations = 0;
  private frees = 0;
  private freeSlabErrors = 0;

  constructor(options: SlabArenaOptions<S>) {
    const resolved = resolveArenaOptions(options);
    this.alignment = resolved.alignment;
    this.granule = resolved.granule;
    this.minSlabBytes = resolved.minSlabBytes;
    this.maxSlabBytes = resolved.maxSlabBytes;
    this.slabHeldDivisor = resolved.slabHeldDivisor;
    this.maxHeldBytes = resolved.maxHeldBytes;
    this.freedBlockReuse = resolved.freedBlockReuse;
    this.mergeAllOnMiss = resolved.freedBlockReuse === "merge-first";
    this.allocateSlab = options.allocateSlab;
    this.freeSlab = options.freeSlab;
    this.fit = new SegregatedFit<S>(this.granule, this.recycler);
    this.small = new SmallClasses<S>(this.granule, this.recycler);
    this.cache = new ExactCache<S>(this.granule, kFitListCount);
  }

  /** Bytes of every slab held. */
  get heldBytes(): number {
    return this.heldBytesNow;
  }
  /** Sizes of the ranges handed out now. */
  get liveBytes(): number {
    return this.liveBytesNow;
  }
  /** Requested lengths of the ranges handed out now. */
  get requestedBytes(): number {
    return this.requestedBytesNow;
  }
  get slabCount(): number {
    return this.slabs.size;
  }

  /**
   * A range of at least `byteLength` bytes at an offset that is a multiple of the alignment.
   * O(1) unless a slab must be made. Bad input is `INVALID_ARGUMENT` and a slab past
   * `maxHeldBytes` is `MEMORY_LIMIT`, each changing nothing. A throwing `allocateSlab` propagates
   * and leaves every live range and its counters as they were; the spare chunks and entirely free
   * slabs that the miss freed first stay freed (as a pool's evictions do).
   */
  allocate(byteLength: number): ArenaBlock<S> {
    if (this.disposed) throw disposedError("allocate", "SlabArena");
    if (!(byteLength >= 1 && byteLength <= kMaxArenaRequestBytes && Number.isInteger(byteLength))) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `SlabArena.allocate: byteLength must be an integer from 1 to 2^42, got ${typeof byteLength === "number" ? String(byteLength) : `${typeof byteLength} ${String(byteLength)}`}`,
        { value: byteLength },
      );
    }
    return this.allocateChecked(byteLength);
  }

  /**
   * {@link allocate} for a caller (a pool) that has already checked that `byteLength` is an
   * integer from 1 to 2^42 and that the arena is not disposed: the hot path checks once.
   */
  allocateChecked(byteLength: number, inBatch = false): ArenaBlock<S> {
    let block: ArenaBlock<S> | null;
    if (byteLength <= kSmallMaxBytes) {
      const index = this.small.classIndex(byteLength);
      block = this.small.take(index);
      if (block === null) block = this.cellOfNewChunk(index, inBatch);
    } else {
      const size = this.roundToGranule(byteLength);
      block = this.cache.take(size);
      if (block === null) block = this.takeFromFit(size, inBatch);
    }
    if (block.chunk === null) block.fresh = block.freshFrom === block.offset;
    block.state = BlockState.Live;
    block.requested = byteLength;
    this.liveCount++;
    this.liveBytesNow += block.size;
    this.requestedBytesNow += byteLength;
    if (this.liveBytesNow > this.peakLiveBytes) this.peakLiveBytes = this.liveBytesNow;
    if (this.requestedBytesNow > this.peakRequestedBytes) {
      this.peakRequestedBytes = this.requestedBytesNow;
    }
    if (block.fresh) this.freshAllocations++;
    else this.recycledAllocations++;
    return block;
  }

  /**
   * Returns a range in O(1): a cell to its chunk, a large block to the exact cache (merged with its
   * free neighbours when the cache is flushed, before any slab is made). A block of another arena
   * is `INVALID_ARGUMENT`, a stale lease `STALE_BUFFER`; either changes nothing.
   */
  free(block: ArenaBlock<S>, generation: number): void {
    if (this.disposed) throw disposedError("free", "SlabArena");
    if (!(block instanceof ArenaBlock) || block.slab.owner !== this) {
      throw new MlxError("INVALID_ARGUMENT", "SlabArena.free: not a block of this arena", {
        value: block,
      });
    }
    if (block.generation !== generation || block.state !== BlockState.Live) {
      throw new MlxError(
        "STALE_BUFFER",
        `SlabArena.free: the lease (generation ${String(generation)}) is stale: already freed`,
        { value: generation },
      );
    }
    this.freeChecked(block);
  }

  /**
   * {@link free} for a caller (a pool) that has already checked that `block` is a live block of
   * this arena under the lease's generation, and that the arena is not disposed.
   */
  freeChecked(block: ArenaBlock<S>): void {
    block.generation++;
    this.liveCount--;
    this.liveBytesNow -= block.size;
    this.requestedBytesNow -= block.requested;
    block.requested = 0;
    this.frees++;
    if (block.chunk !== null) {
      const chunkBlock = this.small.give(block);
      if (chunkBlock !== null) this.fit.release(chunkBlock);
    } else {
      block.freshFrom = block.offset + block.size;
      this.cache.put(block);
    }
  }

  /** Whether `(block, generation)` is a lease handed out and not yet freed (or disposed). */
  isLive(block: ArenaBlock<S>, generation: number): boolean {
    return (
      block.generation === generation && block.state === BlockState.Live && !block.slab.released
    );
  }

  /**
   * Returns every cached large block and every class's spare chunk to the free blocks of its slab,
   * merged with free neighbours; returns how many. O(cached + classes). With nothing live, every
   * slab is then one free block.
   */
  compact(): number {
    if (this.disposed) throw disposedError("compact", "SlabArena");
    return this.returnCached();
  }

  /**
   * Frees every entirely free slab now (spare chunks first go back to their slabs). Returns the
   * number of slabs freed. A throwing `freeSlab` is rethrown once every slab is accounted for.
   */
  clear(): number {
    if (this.disposed) throw disposedError("clear", "SlabArena");
    this.returnCached();
    const { released, error } = this.releaseEmptySlabs();
    if (error !== undefined) throw error;
    return released;
  }

  /**
   * Frees every slab; every lease becomes stale. Idempotent. A throwing `freeSlab` is rethrown
   * once every slab is accounted for.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    let firstError: unknown;
    const slabs = [...this.slabs];
    this.slabs.clear();
    this.fit.clear();
    this.small.clear();
    this.cache.clear();
    this.recycler.clear();
    this.heldBytesNow = 0;
    this.liveCount = 0;
    this.liveBytesNow = 0;
    this.requestedBytesNow = 0;
    for (const slab of slabs) {
      slab.released = true;
      this.slabReleases++;
      try {
        this.freeSlab(slab.handle, slab.size);
      } catch (error) {
        if (firstError === undefined) firstError = error;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Every slab held, oldest first. */
  slabList(): Slab<S>[] {
    return [...this.slabs];
  }

  /** The ranges of one slab in address order (for inspection and charts; O(blocks)). */
  slabLayout(slab: Slab<S>): SlabRange[] {
    if (!(slab instanceof Slab) || slab.owner !== this || slab.released) {
      throw new MlxError("INVALID_ARGUMENT", "SlabArena.slabLayout: not a slab this arena holds", {
        value: slab,
      });
    }
    const ranges: SlabRange[] = [];
    for (let b = slab.first; b !== null; b = b.nextPhys) {
      const kind =
        b.state === BlockState.Free
          ? "free"
          : b.state === BlockState.Chunk
            ? "chunk"
            : b.state === BlockState.Cached
              ? "cached"
              : "live";
      ranges.push({
        offset: b.offset,
        size: b.size,
        kind,
        freshBytes:
          b.state === BlockState.Live ? (b.fresh ? b.size : 0) : b.offset + b.size - b.freshFrom,
        liveCells: kind === "chunk" && b.chunk !== null ? b.chunk.live : 0,
      });
    }
    return ranges;
  }

  stats(): SlabArenaStats {
    return {
      slabCount: this.slabs.size,
      peakSlabCount: this.peakSlabCount,
      slabCountAtPeakHeld: this.slabCountAtPeakHeld,
      heldBytes: this.heldBytesNow,
      peakHeldBytes: this.peakHeldBytes,
      liveCount: this.liveCount,
      liveBytes: this.liveBytesNow,
      peakLiveBytes: this.peakLiveBytes,
      requestedBytes: this.requestedBytesNow,
      peakRequestedBytes: this.peakRequestedBytes,
      freeBlockCount: this.fit.freeCount,
      freeBlockBytes: this.fit.freeBytes,
      cachedBlockCount: this.cache.count,
      cachedBlockBytes: this.cache.bytes,
      chunkCount: this.small.chunkCount,
      spareChunkCount: this.small.spareCount,
      slabAllocations: this.slabAllocations,
      slabReleases: this.slabReleases,
      freshAllocations: this.freshAllocations,
      recycledAllocations: this.recycledAllocations,
      frees: this.frees,
      freeSlabErrors: this.freeSlabErrors,
      blocksExamined: this.fit.examined,
      freeListOperations: this.fit.listOps + this.small.listOps,
    };
  }

  /** Bytes of the range a request of `byteLength` (1 to 2^42, checked) gets: its cell or block size. */
  rangeSize(byteLength: number): number {
    return byteLength <= kSmallMaxBytes
      ? this.small.classSize(this.small.classIndex(byteLength))
      : this.roundToGranule(byteLength);
  }

  /** `n` rounded up to the granule, as a small integer where it fits (see SegregatedFit.units). */
  private roundToGranule(n: number): number {
    const mask = this.granule - 1;
    return n < 0x4000_0000 ? (n + mask) & ~mask : roundUp(n, this.granule);
  }

  /** A fresh chunk for small class `index` (a miss of its lists), and its first cell. */
  private cellOfNewChunk(index: number, inBatch: boolean): ArenaBlock<S> {
    const block = this.takeFromFit(kChunkBytes, inBatch);
    this.small.addChunk(index, block);
    return this.small.take(index) as ArenaBlock<S>;
  }

  /**
   * A block of the fit, with cached blocks (every one, or those of nearby sizes) merged first: a
   * buffer that grows a little each step must find its old hole joined with its neighbours.
   */
  private takeFromFit(size: number, inBatch: boolean): ArenaBlock<S> {
    if (this.cache.count > 0) {
      if (this.mergeAllOnMiss) this.cache.flush(this.releaseToFit);
      else this.cache.flushNear(size, this.releaseToFit);
    }
    return this.fit.take(size) ?? this.refill(size, inBatch);
  }

  private readonly releaseToFit = (block: ArenaBlock<S>): void => {
    this.fit.release(block);
  };

  /**
   * Nothing free holds `size`: cached blocks and spare chunks go back first (merged, they may
   * hold it), then a new slab is made and entirely free slabs are freed.
   */
  private refill(size: number, inBatch: boolean): ArenaBlock<S> {
    if (this.returnCached() > 0) {
      const block = this.fit.take(size);
      if (block !== null) return block;
    }
    return this.takeFromNewSlab(size, inBatch);
  }

  private returnCached(): number {
    const back = (block: ArenaBlock<S>) => {
      this.fit.release(block);
    };
    let returned = 0;
    if (this.cache.count > 0) returned += this.cache.flush(back);
    if (this.small.spareCount > 0) returned += this.small.releaseSpares(back);
    return returned;
  }

  private takeFromNewSlab(size: number, inBatch: boolean): ArenaBlock<S> {
    // What stays held once the entirely free slabs are gone.
    const kept = this.heldBytesNow - this.fit.emptyBytes;
    const scaled = Math.min(
      this.maxSlabBytes,
      Math.max(this.minSlabBytes, kept / this.slabHeldDivisor),
    );
    let bytes = roundUp(Math.max(scaled, size), kSlabRoundBytes);
    if (kept + bytes > this.maxHeldBytes) {
      // Under the limit a slab just large enough may still fit.
      const room = Math.floor((this.maxHeldBytes - kept) / kSlabRoundBytes) * kSlabRoundBytes;
      if (room < roundUp(size, kSlabRoundBytes)) throw this.limitError(size, kept);
      bytes = room;
    }
    // Entirely free slabs go before the new one is made, so that native memory never holds both
    // (on the CLI's synthetic traces that overlap would add up to a third to the held peak).
    this.releaseEmptySlabsOnMiss();
    const handle = this.allocateSlab(bytes, inBatch);
    const slab = new Slab(handle, bytes, this.nextSlabId++, this);
    this.slabs.add(slab);
    this.slabAllocations++;
    this.heldBytesNow += bytes;
    if (this.slabs.size > this.peakSlabCount) this.peakSlabCount = this.slabs.size;
    this.notePeakHeld();
    this.fit.addSlab(slab);
    return this.fit.take(size) as ArenaBlock<S>;
  }

  private notePeakHeld(): void {
    if (this.heldBytesNow > this.peakHeldBytes) {
      this.peakHeldBytes = this.heldBytesNow;
      this.slabCountAtPeakHeld = this.slabs.size;
    }
  }

  private releaseEmptySlabsOnMiss(): void {
    const { error } = this.releaseEmptySlabs();
    if (error !== undefined) {
      this.freeSlabErrors++;
      this.lastFreeSlabError = error;
    }
  }

  /** Frees every entirely free slab; the first error `freeSlab` threw is returned, not thrown. */
  private releaseEmptySlabs(): { released: number; error: unknown } {
    let released = 0;
    let error: unknown;
    while (this.fit.emptyHead !== null) {
      const slab = this.fit.emptyHead;
      this.fit.removeSlab(slab);
      this.slabs.delete(slab);
      this.heldBytesNow -= slab.size;
      slab.released = true;
      this.slabReleases++;
      released++;
      try {
        this.freeSlab(slab.handle, slab.size);
      } catch (e) {
        if (error === undefined) error = e;
      }
    }
    return { released, error };
  }

  private limitError(size: number, kept: number): MlxError {
    return new MlxError(
      "MEMORY_LIMIT",
      `SlabArena: a slab for ${size} bytes would pass maxHeldBytes ${this.maxHeldBytes} (${kept} bytes held in slabs with live ranges, ${this.liveCount} ranges live): is every range freed once its step ends?`,
      { value: kept + roundUp(size, kSlabRoundBytes) },
    );
  }
}
