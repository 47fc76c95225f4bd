import type { Fence } from "../bucket-pool.js";

/** Counters a failed batch restores. */
interface CounterMark {
  readonly hits: number;
  readonly misses: number;
  readonly peakInUseCount: number;
  readonly peakInUseBytes: number;
  readonly peakHeldBytes: number;
}

import { describeValue, disposedError, MlxError } from "../errors.js";
import { DEFAULT_LIMITS } from "../options.js";
import type { SizePolicy } from "../size-policy.js";
import { checkByteLength, checkLimit } from "../validate.js";
import { kMaxArenaRequestBytes } from "./arena-options.js";
import type { ArenaPoolOptions, ArenaPoolStats } from "./arena-pool-types.js";
import { ArenaBlock, BlockState } from "./slab.js";
import { SlabArena } from "./slab-arena.js";

/**
 * Leases over {@link SlabArena}s, one arena per source (a device): the counterpart of
 * `BucketPool` for sub-allocation, with the same operations (acquire, O(1) release, arena
 * reset, fences, limits, clear, dispose) so that a pool wraps either. A lease is
 * `(block, block.generation)`; it binds `block.handle` (the slab) at `block.offset`.
 *
 * Fences: a range released `after` a fence is stale at once but stays allocated in its arena
 * until the fence settles, so no later lease can overlap it; a rejected fence keeps it out of
 * circulation until `clear` or `dispose`. Limits count slab bytes (`maxHeldBytes`) and leases
 * not yet returned (`maxBuffers`).
 */
export class ArenaPool<S, Source = number> {
  readonly label: string;
  /** Names the policy `arena`; `bucketSize` is the size of the range a request gets. */
  readonly policy: SizePolicy;
  readonly maxFreeBytes: number;
  readonly maxBuffers: number;
  readonly maxHeldBytes: number;
  /** The last error thrown while a fence settled (by `freeSlab` or `onFenceSettled`). */
  lastFenceError: unknown = undefined;

  private readonly options: ArenaPoolOptions<S, Source>;
  private readonly arenas = new Map<Source, SlabArena<S>>();
  private lastSource: Source | undefined;
  private lastArena: SlabArena<S> | null = null;
  /** Live blocks in `[0, inUseCount)`; each block's `leaseIndex` is its position. */
  private readonly inUse: ArenaBlock<S>[] = [];
  private readonly quarantined = new Set<ArenaBlock<S>>();
  private disposed = false;

  private inUseCount = 0;
  private inUseBytes = 0;
  private rangeBytes = 0;
  private pendingCount = 0;
  private pendingBytes = 0;
  private quarantinedBytes = 0;
  private heldCount = 0;
  private heldBytes = 0;
  private peakHeldBytes = 0;
  private slabCountAtPeakHeld = 0;
  private peakInUseCount = 0;
  private peakInUseBytes = 0;
  private hits = 0;
  private misses = 0;
  private slabsMade = 0;
  private releases = 0;
  private resets = 0;
  private evictions = 0;
  private destroyed = 0;
  private fenceErrors = 0;
  private freshAllocations = 0;
  private recycledAllocations = 0;

  constructor(options: ArenaPoolOptions<S, Source>) {
    if (typeof options?.allocateSlab !== "function" || typeof options.freeSlab !== "function") {
      throw new MlxError(
        "INVALID_ARGUMENT",
        "ArenaPool needs allocateSlab and freeSlab functions",
        {
          value: options,
        },
      );
    }
    for (const name of ["reuseLargerRatio", "maxHeldRatio"] as const) {
      if (options[name] !== undefined) {
        throw new MlxError(
          "INVALID_ARGUMENT",
          `${options.label ?? "ArenaPool"}: ${name} has no meaning under the arena policy (ranges are cut to size and merged), got ${describeValue(options[name])}`,
          { value: options[name] },
        );
      }
    }
    checkLimit(options.maxFreeBytes, "maxFreeBytes", 0);
    checkLimit(options.maxBuffers, "maxBuffers", 1);
    checkLimit(options.maxHeldBytes, "maxHeldBytes", 1);
    this.options = options;
    this.label = options.label ?? "ArenaPool";
    this.maxFreeBytes = options.maxFreeBytes ?? DEFAULT_LIMITS.maxFreeBytes;
    this.maxBuffers = options.maxBuffers ?? DEFAULT_LIMITS.maxBuffers;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_LIMITS.maxHeldBytes;
    // Checks the arena options now, so that a bad one fails at construction, not at first use.
    const probe = this.makeArena(undefined as Source);
    probe.dispose();
    this.policy = { name: "arena", bucketSize: (n) => probe.rangeSize(checkRequest(n)) };
  }

  /**
   * A range of at least `byteLength` bytes from the arena of `source` (made on first use).
   * O(1) unless a slab must be made.
   */
  acquire(byteLength: number, source: Source = 0 as Source, inBatch = false): ArenaBlock<S> {
    if (this.disposed) throw disposedError("acquire", this.label);
    checkByteLength(byteLength, "acquire");
    checkRequest(byteLength);
    return this.acquirePrechecked(byteLength, source, inBatch);
  }

  /** {@link acquire} for a caller that has checked `byteLength` and that the pool is live. */
  acquirePrechecked(
    byteLength: number,
    source: Source = 0 as Source,
    inBatch = false,
  ): ArenaBlock<S> {
    const arena =
      source === this.lastSource && this.lastArena !== null ? this.lastArena : this.arenaOf(source);
    if (this.inUseCount + this.pendingCount + this.quarantined.size >= this.maxBuffers) {
      throw this.countLimitError();
    }
    if (byteLength > kMaxArenaRequestBytes) checkRequest(byteLength);
    const made = this.slabsMade;
    const block = arena.allocateChecked(byteLength, inBatch);
    if (this.slabsMade === made) this.hits++;
    else this.misses++;
    if (block.fresh) this.freshAllocations++;
    else this.recycledAllocations++;
    block.leaseIndex = this.inUseCount;
    this.inUse[this.inUseCount++] = block;
    this.inUseBytes += byteLength;
    this.rangeBytes += block.size;
    if (this.inUseCount > this.peakInUseCount) this.peakInUseCount = this.inUseCount;
    if (this.inUseBytes > this.peakInUseBytes) this.peakInUseBytes = this.inUseBytes;
    return block;
  }

  /** Whether `(block, generation)` is leased right now. */
  isLive(block: ArenaBlock<S>, generation: number): boolean {
    return (
      block.generation === generation && block.leaseIndex >= 0 && block.state === BlockState.Live
    );
  }

  /**
   * Returns one lease in O(1). With `after`, the range stays allocated until the fence settles.
   * A stale lease throws `STALE_BUFFER`, a block of another pool `INVALID_ARGUMENT`; neither
   * changes anything.
   */
  release(block: ArenaBlock<S>, generation: number, after?: Fence): void {
    if (this.disposed) throw disposedError("release", this.label);
    if (after !== undefined) checkFence(after);
    if (!(block instanceof ArenaBlock)) {
      throw new MlxError("INVALID_ARGUMENT", "release: not a lease of an arena pool", {
        value: block,
      });
    }
    if (block.generation !== generation || block.leaseIndex < 0) {
      throw new MlxError(
        "STALE_BUFFER",
        `release: the lease (generation ${generation}) is stale: it was already released, or returned by reset`,
        { value: generation },
      );
    }
    if (this.inUse[block.leaseIndex] !== block || block.leaseIndex >= this.inUseCount) {
      throw new MlxError("INVALID_ARGUMENT", "release: the lease belongs to another pool", {
        value: block.size,
      });
    }
    this.removeInUse(block);
    this.releases++;
    if (after === undefined) {
      this.freeRange(block);
      if (this.maxFreeBytes !== Number.POSITIVE_INFINITY) this.trimFree();
    } else {
      block.generation++;
      this.fence([block], after);
    }
  }

  /** Arena reset: every live lease becomes stale and its range free (or pending on `after`). */
  reset(after?: Fence): void {
    if (this.disposed) throw disposedError("reset", this.label);
    if (after !== undefined) checkFence(after);
    const count = this.inUseCount;
    const inUse = this.inUse;
    if (after === undefined) {
      for (let i = 0; i < count; i++) {
        const block = inUse[i] as ArenaBlock<S>;
        block.leaseIndex = -1;
        this.freeRange(block);
      }
    } else {
      const fenced = inUse.slice(0, count);
      for (const block of fenced) {
        block.leaseIndex = -1;
        block.generation++;
      }
      this.fence(fenced, after);
    }
    this.inUseCount = 0;
    this.inUseBytes = 0;
    this.resets++;
    if (this.maxFreeBytes !== Number.POSITIVE_INFINITY) this.trimFree();
  }

  /**
   * Frees every entirely free slab now, quarantined ranges first returned. Ranges behind an
   * unsettled fence stay allocated. Returns the number of slabs freed.
   */
  clear(): number {
    if (this.disposed) throw disposedError("clear", this.label);
    for (const block of this.quarantined) {
      this.quarantined.delete(block);
      this.quarantinedBytes -= block.size;
      this.rangeBytes -= block.size;
      (block.slab.owner as SlabArena<S>).freeChecked(block);
    }
    const before = this.destroyed;
    let firstError: unknown;
    for (const arena of this.arenas.values()) {
      try {
        arena.clear();
      } catch (error) {
        if (firstError === undefined) firstError = error;
      }
    }
    if (firstError !== undefined) throw firstError;
    return this.destroyed - before;
  }

  /**
   * Frees every slab (live leases become stale). Slabs that hold a range behind an unsettled
   * fence are freed when the last fence settles, never before. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (let i = 0; i < this.inUseCount; i++) {
      const block = this.inUse[i] as ArenaBlock<S>;
      block.leaseIndex = -1;
      block.generation++;
    }
    this.inUseCount = 0;
    this.inUseBytes = 0;
    this.inUse.length = 0;
    this.quarantined.clear();
    this.quarantinedBytes = 0;
    this.lastArena = null;
    if (this.pendingCount === 0) this.disposeArenas();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Several ranges decided together, then `finish` (a residency commit, say). If an acquire or
   * `finish` throws, every range the batch took goes back to its arena and the counters are
   * restored; slabs the batch made stay, free (a slab cannot be un-made without a native call
   * that could fail too). Under `maxBuffers` the count is checked for the whole batch first.
   */
  acquireBatchPrechecked(
    byteLengths: readonly number[],
    source: Source = 0 as Source,
    finish?: () => void,
  ): ArenaBlock<S>[] {
    if (
      this.inUseCount + this.pendingCount + this.quarantined.size + byteLengths.length >
      this.maxBuffers
    )
      throw this.countLimitError();
    const mark = this.markCounters();
    const blocks: ArenaBlock<S>[] = [];
    try {
      for (const byteLength of byteLengths)
        blocks.push(this.acquirePrechecked(byteLength, source, true));
      finish?.();
    } catch (error) {
      for (let i = blocks.length - 1; i >= 0; i--) this.undoAcquire(blocks[i] as ArenaBlock<S>);
      this.restoreCounters(mark);
      throw error;
    }
    return blocks;
  }

  /** Calls `fn` with every live lease's block. */
  forEachInUse(fn: (block: ArenaBlock<S>) => void): void {
    for (let i = 0; i < this.inUseCount; i++) fn(this.inUse[i] as ArenaBlock<S>);
  }

  /** Snapshot of the counters a failed batch restores. */
  markCounters(): CounterMark {
    return {
      hits: this.hits,
      misses: this.misses,
      peakInUseCount: this.peakInUseCount,
      peakInUseBytes: this.peakInUseBytes,
      peakHeldBytes: this.peakHeldBytes,
    };
  }

  /**
   * Reverses an `acquire` whose lease never reached a caller (a batch that failed midway): the
   * range goes back to its arena. Slabs the batch made stay, free. Then {@link restoreCounters}.
   */
  undoAcquire(block: ArenaBlock<S>): void {
    if (block.leaseIndex < 0 || this.inUse[block.leaseIndex] !== block) return;
    this.removeInUse(block);
    if (block.fresh) this.freshAllocations--;
    else this.recycledAllocations--;
    this.freeRange(block, false);
  }

  restoreCounters(mark: CounterMark): void {
    this.hits = mark.hits;
    this.misses = mark.misses;
    this.peakInUseCount = mark.peakInUseCount;
    this.peakInUseBytes = mark.peakInUseBytes;
  }

  stats(): ArenaPoolStats {
    let freeCount = 0;
    let peakSlabCount = 0;
    for (const arena of this.arenas.values()) {
      const s = arena.stats();
      freeCount += s.freeBlockCount + s.cachedBlockCount;
      peakSlabCount += s.peakSlabCount;
    }
    return {
      inUseCount: this.inUseCount,
      inUseBytes: this.inUseBytes,
      freeCount,
      freeBytes: this.freeByteLength,
      pendingCount: this.pendingCount,
      pendingBytes: this.pendingBytes,
      quarantinedCount: this.quarantined.size,
      quarantinedBytes: this.quarantinedBytes,
      heldCount: this.heldCount,
      heldBytes: this.heldBytes,
      peakInUseCount: this.peakInUseCount,
      peakInUseBytes: this.peakInUseBytes,
      peakHeldBytes: this.peakHeldBytes,
      hits: this.hits,
      misses: this.misses,
      releases: this.releases,
      resets: this.resets,
      evictions: this.evictions,
      destroyed: this.destroyed,
      fenceErrors: this.fenceErrors,
      arena: {
        slabCount: this.heldCount,
        peakSlabCount,
        slabCountAtPeakHeld: this.slabCountAtPeakHeld,
        slabAllocations: this.slabsMade,
        freshAllocations: this.freshAllocations,
        recycledAllocations: this.recycledAllocations,
        zeroing: "fresh-only",
      },
    };
  }

  /**
   * Frees entirely free slabs (the only memory an arena can give back) when `bytes` > 0;
   * returns the slab bytes freed, which may be more than asked. For a limit kept across pools.
   */
  evictFree(bytes: number): number {
    if (this.disposed || !(bytes > 0)) return 0;
    const before = this.heldBytes;
    this.clear();
    return before - this.heldBytes;
  }

  /** Sets the in-use and held peaks to the current values (as `torch.cuda.reset_peak_memory_stats`). */
  resetPeaks(): void {
    this.peakInUseCount = this.inUseCount;
    this.peakInUseBytes = this.inUseBytes;
    this.peakHeldBytes = this.heldBytes;
    this.slabCountAtPeakHeld = this.heldCount;
  }

  get inUseLength(): number {
    return this.inUseCount;
  }
  /** Free ranges in the arenas (merged free blocks and blocks kept whole for reuse). */
  get freeLength(): number {
    let n = 0;
    for (const arena of this.arenas.values()) {
      const s = arena.stats();
      n += s.freeBlockCount + s.cachedBlockCount;
    }
    return n;
  }
  /** Slab bytes not in a range that is live, pending or quarantined. */
  get freeByteLength(): number {
    return this.heldBytes - this.rangeBytes;
  }
  get heldByteLength(): number {
    return this.heldBytes;
  }
  get heldLength(): number {
    return this.heldCount;
  }

  /** Every arena, by source (inspection and charts: `slabList`, `slabLayout`). */
  arenaEntries(): [Source, SlabArena<S>][] {
    return [...this.arenas];
  }

  private arenaOf(source: Source): SlabArena<S> {
    let arena = this.arenas.get(source);
    if (arena === undefined) {
      arena = this.makeArena(source);
      this.arenas.set(source, arena);
    }
    this.lastSource = source;
    this.lastArena = arena;
    return arena;
  }

  private makeArena(source: Source): SlabArena<S> {
    const o = this.options;
    return new SlabArena<S>({
      alignment: o.alignment,
      minSlabBytes: o.minSlabBytes,
      maxSlabBytes: o.maxSlabBytes,
      slabHeldDivisor: o.slabHeldDivisor,
      freedBlockReuse: o.freedBlockReuse,
      maxHeldBytes: o.maxHeldBytes,
      allocateSlab: (bytes, inBatch) => this.makeSlab(bytes, source, inBatch),
      freeSlab: (slab, bytes) => this.destroySlab(slab, bytes),
    });
  }

  private makeSlab(bytes: number, source: Source, inBatch: boolean): S {
    if (this.heldBytes + bytes > this.maxHeldBytes) {
      throw new MlxError(
        "MEMORY_LIMIT",
        `${this.label} holds ${this.heldBytes} bytes of slabs, cannot add ${bytes} (maxHeldBytes ${this.maxHeldBytes}) with ${this.inUseCount} in use and ${this.pendingCount} pending: is reset() called once per step?`,
        { value: this.heldBytes + bytes },
      );
    }
    const slab = this.options.allocateSlab(bytes, source, inBatch);
    this.slabsMade++;
    this.heldCount++;
    this.heldBytes += bytes;
    if (this.heldBytes > this.peakHeldBytes) {
      this.peakHeldBytes = this.heldBytes;
      this.slabCountAtPeakHeld = this.heldCount;
    }
    return slab;
  }

  private destroySlab(slab: S, bytes: number): void {
    this.heldCount--;
    this.heldBytes -= bytes;
    this.destroyed++;
    this.options.freeSlab(slab, bytes);
  }

  private removeInUse(block: ArenaBlock<S>): void {
    const last = this.inUse[--this.inUseCount] as ArenaBlock<S>;
    this.inUse[block.leaseIndex] = last;
    last.leaseIndex = block.leaseIndex;
    block.leaseIndex = -1;
    this.inUseBytes -= block.requested;
  }

  /** Returns a range to its arena (its generation moves on there). */
  private freeRange(block: ArenaBlock<S>, recycle = true): void {
    this.rangeBytes -= block.size;
    if (recycle && this.options.onRecycle !== undefined) {
      this.options.onRecycle(block.slab.handle, block.offset, block.size);
    }
    (block.slab.owner as SlabArena<S>).freeChecked(block);
  }

  /** `maxFreeBytes`: entirely free slabs go once free bytes pass it (partly used ones cannot). */
  private trimFree(): void {
    if (this.freeByteLength <= this.maxFreeBytes) return;
    const before = this.destroyed;
    for (const arena of this.arenas.values()) arena.clear();
    this.evictions += this.destroyed - before;
  }

  private disposeArenas(): void {
    let firstError: unknown;
    for (const arena of this.arenas.values()) {
      try {
        arena.dispose();
      } catch (error) {
        if (firstError === undefined) firstError = error;
      }
    }
    this.arenas.clear();
    this.rangeBytes = 0;
    if (firstError !== undefined) throw firstError;
  }

  private fence(blocks: ArenaBlock<S>[], after: Fence): void {
    for (const block of blocks) {
      this.pendingCount++;
      this.pendingBytes += block.size;
    }
    Promise.resolve(after).then(
      () => this.settle(blocks, true),
      () => this.settle(blocks, false),
    );
  }

  /** Runs from a promise callback: errors are counted in `fenceErrors`, never thrown. */
  private settle(blocks: ArenaBlock<S>[], completed: boolean): void {
    for (const block of blocks) {
      this.pendingCount--;
      this.pendingBytes -= block.size;
      if (this.disposed) continue;
      try {
        if (completed) {
          this.freeRange(block);
        } else {
          this.quarantined.add(block);
          this.quarantinedBytes += block.size;
        }
      } catch (error) {
        this.noteFenceError(error);
      }
    }
    try {
      if (this.disposed) {
        if (this.pendingCount === 0) this.disposeArenas();
      } else if (this.maxFreeBytes !== Number.POSITIVE_INFINITY) {
        this.trimFree();
      }
      this.options.onFenceSettled?.();
    } catch (error) {
      this.noteFenceError(error);
    }
  }

  private countLimitError(): MlxError {
    const held = this.inUseCount + this.pendingCount + this.quarantined.size;
    return new MlxError(
      "MEMORY_LIMIT",
      `${this.label} holds ${held} buffers (maxBuffers ${this.maxBuffers}) with ${this.inUseCount} in use and ${this.pendingCount} pending: ` +
        "is reset() called once per step? A loop that allocates without reset or release grows without bound",
      { value: held },
    );
  }

  private noteFenceError(error: unknown): void {
    this.fenceErrors++;
    this.lastFenceError = error;
  }
}

function checkRequest(n: number): number {
  if (!(n >= 1 && n <= kMaxArenaRequestBytes && Number.isInteger(n))) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `arena: a request must be an integer from 1 to 2^42 bytes, got ${describeValue(n)}`,
      { value: n },
    );
  }
  return n;
}

function checkFence(after: unknown): void {
  if (typeof (after as Fence | null)?.then !== "function") {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `after must be a promise or another thenable, got ${describeValue(after)}`,
      { value: after },
    );
  }
}
