import { describeValue, disposedError, MlxError } from "./errors.js";
import { FenceBatch } from "./fence-batch.js";
import { FreeLists, type FreePosition } from "./free-lists.js";
import { type BucketPoolOptions, DEFAULT_LIMITS, LIMIT_MINIMUMS, LIMIT_NAMES } from "./options.js";
import { checkSizePolicy, MAX_BYTE_LENGTH, pow2, type SizePolicy } from "./size-policy.js";
import { type FreeBucket, Slot, SlotState } from "./slot.js";
import { StagedSlots } from "./staged-slots.js";
import type { BucketPoolStats } from "./stats.js";
import { checkByteLength, checkLimit } from "./validate.js";

/** A source's free lists by class index, as {@link BucketPool.hitLists} returns them. */
export type HitLists<H> = readonly (FreeBucket<H> | undefined)[];

/** Something with `then`: a promise, or any thenable that settles when GPU work is done. */
export type Fence = PromiseLike<unknown>;

/**
 * A generic arena pool over any handle type: per-capacity LIFO free lists, an in-use array with
 * O(1) removal, an arena `reset`, and generations that make every earlier lease detectably stale.
 *
 * Costs: `acquire` on a hit is O(1) with no allocation (an array lookup by the policy's class
 * index, or one Map lookup for a policy without one); a miss calls `allocate` once. `release` is
 * O(1). `reset` is O(in-use). `clear` and `dispose` are O(held + size classes). Without a cache
 * limit no least-recently-used order is kept, and `maxBuffers` evicts any free slot.
 */
export class BucketPool<H, Source = number> {
  /** How error messages name this pool. */
  readonly label: string;
  readonly policy: SizePolicy;
  readonly maxFreeBytes: number;
  readonly maxBuffers: number;
  readonly maxHeldBytes: number;
  readonly reuseLargerRatio: number;
  readonly maxHeldRatio: number;

  private readonly allocateHandle: (capacity: number, source: Source, inBatch: boolean) => H;
  private readonly destroyHandle: (handle: H, capacity: number) => void;
  private readonly recycleHook: ((handle: H, capacity: number) => void) | undefined;
  private readonly fenceSettledHook: (() => void) | undefined;
  private readonly admitFresh:
    | ((capacity: number, byteLength: number, source: Source) => void)
    | undefined;

  private readonly free: FreeLists<H, Source>;
  /** The built-in pow2 policy: its free lists are indexed by log2, computable from a length. */
  private readonly pow2Indexed: boolean;
  /**
   * Live slots in `[0, inUseCount)` (entries past it are leftovers). A fenced reset hands the
   * array itself to the fence and takes a spare one, so neither path copies or reallocates it.
   */
  private inUse: Slot<H>[] = [];
  /** Settled batches kept for the next fences (their arrays and callbacks with them). */
  private readonly spareBatches: FenceBatch<H>[] = [];
  private readonly quarantined = new Set<Slot<H>>();
  /**
   * Batches of slots waiting on a fence: every slot of a batch is pending until the batch
   * settles, and nothing else moves it meanwhile.
   */
  private readonly pending: FenceBatch<H>[] = [];
  private readonly settleBatch = (batch: FenceBatch<H>, completed: boolean): void =>
    this.settle(batch, completed);
  private disposed = false;

  private inUseCount = 0;
  private inUseBytes = 0;
  private pendingCount = 0;
  private pendingBytes = 0;
  private quarantinedBytes = 0;
  private heldCount = 0;
  private heldBytes = 0;
  private peakInUseCount = 0;
  private peakInUseBytes = 0;
  private peakHeldBytes = 0;
  private hits = 0;
  private misses = 0;
  private releases = 0;
  private resets = 0;
  private evictions = 0;
  private destroyedCount = 0;
  private fenceErrors = 0;
  /** The last error thrown while a fence settled (by `destroy` or `onFenceSettled`). */
  lastFenceError: unknown = undefined;

  constructor(options: BucketPoolOptions<H, Source>) {
    if (typeof options?.allocate !== "function" || typeof options.destroy !== "function") {
      throw new MlxError("INVALID_ARGUMENT", "BucketPool needs allocate and destroy functions", {
        value: options,
      });
    }
    for (const name of LIMIT_NAMES) checkLimit(options[name], name, LIMIT_MINIMUMS[name]);
    this.label = options.label ?? "BucketPool";
    this.allocateHandle = options.allocate;
    this.destroyHandle = options.destroy;
    this.recycleHook = options.onRecycle;
    this.fenceSettledHook = options.onFenceSettled;
    this.admitFresh = options.admitFresh;
    this.policy = options.policy === undefined ? pow2 : checkSizePolicy(options.policy);
    this.maxFreeBytes = options.maxFreeBytes ?? DEFAULT_LIMITS.maxFreeBytes;
    this.maxBuffers = options.maxBuffers ?? DEFAULT_LIMITS.maxBuffers;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_LIMITS.maxHeldBytes;
    this.reuseLargerRatio = options.reuseLargerRatio ?? DEFAULT_LIMITS.reuseLargerRatio;
    this.maxHeldRatio = options.maxHeldRatio ?? DEFAULT_LIMITS.maxHeldRatio;
    const cacheLimited =
      this.maxFreeBytes !== Number.POSITIVE_INFINITY ||
      this.maxHeldBytes !== Number.POSITIVE_INFINITY ||
      this.maxHeldRatio !== Number.POSITIVE_INFINITY;
    this.free = new FreeLists<H, Source>(this.reuseLargerRatio > 1, cacheLimited, this.policy);
    this.pow2Indexed = this.policy === pow2;
  }

  /** Whether `slot` is leased under `generation` right now. */
  isLive(slot: Slot<H>, generation: number): boolean {
    // A slot of a fenced reset keeps state InUse until enumerated or leased again, even once
    // free (see SlotState): only the live leases fill `inUse[0, inUseCount)`, so finding the
    // slot there is exact.
    return (
      slot.generation === generation &&
      slot.state === SlotState.InUse &&
      slot.inUseIndex < this.inUseCount &&
      this.inUse[slot.inUseIndex] === slot
    );
  }

  /**
   * A slot of capacity `policy.bucketSize(byteLength)` (or larger, see `reuseLargerRatio`):
   * the most recently freed one of its class from `source`, else a fresh allocation that
   * `allocate` makes from `source`. The lease is `(slot, slot.generation)` as returned.
   *
   * @param source - where the memory comes from (a device): slots are reused only for the
   * source they were allocated from. A pool with one source need not name it (default `0`).
   * @param inBatch - passed on to `allocate`: true when this is one of several acquires the
   * caller finishes together, so that per-allocation work can wait for the batch's end.
   */
  acquire(byteLength: number, source: Source = 0 as Source, inBatch = false): Slot<H> {
    if (this.disposed) throw disposedError("acquire", this.label);
    checkByteLength(byteLength, "acquire");
    return this.acquirePrechecked(byteLength, source, inBatch);
  }

  /**
   * {@link acquire} for a caller that has already checked `byteLength` with `checkByteLength`
   * and that the pool is not disposed; saves the hot path a second check.
   */
  acquirePrechecked(byteLength: number, source: Source = 0 as Source, inBatch = false): Slot<H> {
    // The default policy's hit: the class index straight from the checked length (one clz32),
    // no capacity computed and no second length check. Everything else is out of line, so that
    // the hit and its callers stay within V8's inlining budget.
    const slot =
      this.pow2Indexed && byteLength <= POW2_INDEXED_MAX
        ? this.free.takeIndexed(source, pow2Index(byteLength))
        : null;
    if (slot === null) return this.acquireByPolicy(byteLength, source, inBatch);
    this.hits++;
    return this.lease(slot, byteLength);
  }

  /** {@link acquirePrechecked} through the policy's `bucketSize`: any policy, hit or miss. */
  private acquireByPolicy(byteLength: number, source: Source, inBatch: boolean): Slot<H> {
    const capacity = this.policy.bucketSize(byteLength);
    if (!(capacity >= byteLength)) throw badCapacity(this.policy, byteLength, capacity);
    let slot = this.free.takeExact(source, capacity);
    if (slot === null) slot = this.acquireMiss(byteLength, capacity, source, inBatch);
    else this.hits++;
    return this.lease(slot, byteLength);
  }

  /** Marks `slot` leased for `byteLength` bytes and files it in use. */
  private lease(slot: Slot<H>, byteLength: number): Slot<H> {
    slot.state = SlotState.InUse;
    slot.requested = byteLength;
    slot.inUseIndex = this.inUseCount;
    this.inUse[this.inUseCount++] = slot;
    this.inUseBytes += byteLength;
    return slot;
  }

  /**
   * Records the in-use peaks. In-use figures only grow between a release or reset, so the peaks
   * are taken just before each of those and when read; a lease does not test them.
   */
  private notePeaks(): void {
    if (this.inUseCount > this.peakInUseCount) this.peakInUseCount = this.inUseCount;
    if (this.inUseBytes > this.peakInUseBytes) this.peakInUseBytes = this.inUseBytes;
  }

  /** No free slot of the exact class: a larger one within `reuseLargerRatio`, else a fresh one. */
  private acquireMiss(
    byteLength: number,
    capacity: number,
    source: Source,
    inBatch: boolean,
  ): Slot<H> {
    if (this.reuseLargerRatio > 1) {
      const larger = this.free.takeLarger(source, capacity, this.reuseLargerRatio);
      if (larger !== null) {
        this.hits++;
        return larger;
      }
    }
    const slot = this.allocateFresh(byteLength, capacity, source, inBatch);
    this.misses++;
    return slot;
  }

  /**
   * Returns one lease in O(1). With `after`, the slot is out of circulation until the fence
   * settles. A stale lease (released, reset, or never this pool's) throws and changes nothing.
   */
  release(slot: Slot<H>, generation: number, after?: Fence): void {
    if (this.disposed) throw disposedError("release", this.label);
    if (after !== undefined) checkFence(after);
    if (slot.generation !== generation || slot.state !== SlotState.InUse) {
      throw new MlxError(
        "STALE_BUFFER",
        `release: the lease (generation ${generation}) is stale: it was already released, or returned by reset`,
        { value: generation },
      );
    }
    if (this.inUse[slot.inUseIndex] !== slot || slot.inUseIndex >= this.inUseCount) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        "release: the lease is not one this pool has handed out (another pool's, or not leased)",
        { value: slot.capacity },
      );
    }
    // The fence is listened to before anything changes: a thenable that throws changes nothing.
    const batch = after === undefined ? null : this.listen(after);
    this.notePeaks();
    this.removeInUse(slot);
    this.releases++;
    slot.generation++;
    if (batch === null) {
      this.fileFree(slot);
      if (this.free.bytes > this.maxFreeBytes) this.evictDownTo(this.maxFreeBytes);
    } else {
      this.fence(slot, batch);
    }
  }

  /**
   * Arena reset: every live lease becomes stale and its slot free (or pending on `after`).
   * O(in-use), no allocation without a fence.
   */
  reset(after?: Fence): void {
    if (this.disposed) throw disposedError("reset", this.label);
    if (after !== undefined) checkFence(after);
    // The fence is listened to before anything changes: a thenable that throws changes nothing.
    const listening = after === undefined ? null : this.listen(after);
    this.notePeaks();
    const count = this.inUseCount;
    const inUse = this.inUse;
    if (listening === null) {
      // A slot's inUseIndex is read only while it is in use: it is left as it was.
      for (let i = 0; i < count; i++) {
        const slot = inUse[i] as Slot<H>;
        slot.generation++;
        this.fileFree(slot);
      }
    } else {
      // Fenced even when empty, so the pool observes the fence (a rejection is never unhandled).
      // The in-use array itself becomes the batch's (no copy); the batch's old array, already
      // settled, becomes the in-use one.
      const batch = listening;
      const fenced = inUse;
      this.inUse = batch.slots;
      batch.slots = fenced;
      batch.count = count;
      // The generation alone ends the leases; no state is written (forEachSlot writes Pending).
      if (this.recycleHook === undefined) this.endStaged(batch, count);
      else this.endUnstaged(batch, count);
      this.pendingCount += count;
      this.filePending(batch);
    }
    this.inUseCount = 0;
    this.inUseBytes = 0;
    this.resets++;
    if (this.free.bytes > this.maxFreeBytes) this.evictDownTo(this.maxFreeBytes);
  }

  /**
   * Frees every free slot now (and every quarantined one). Slots waiting on a fence stay
   * protected and join the free lists when it settles. Returns the number destroyed.
   */
  clear(): number {
    if (this.disposed) throw disposedError("clear", this.label);
    const before = this.destroyedCount;
    this.evictDownTo(0, false);
    for (const slot of this.quarantined) this.destroyQuarantined(slot);
    // Arrays kept for reuse hold slots past their live range: drop those references too.
    this.spareBatches.length = 0;
    this.inUse.length = this.inUseCount;
    for (const batch of this.pending) {
      batch.slots.length = batch.count;
      batch.staged?.dropLeftovers();
    }
    return this.destroyedCount - before;
  }

  /**
   * Destroys every slot (live leases become stale). Slots behind an unsettled fence are destroyed
   * when it settles, never before. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.notePeaks();
    this.evictDownTo(0, false);
    for (const slot of this.quarantined) this.destroyQuarantined(slot);
    for (let i = 0; i < this.inUseCount; i++) {
      const slot = this.inUse[i] as Slot<H>;
      this.inUseBytes -= slot.requested;
      this.destroySlot(slot);
    }
    this.inUseCount = 0;
    this.inUse.length = 0;
    this.spareBatches.length = 0;
    this.free.clearLists();
    this.disposed = true;
  }

  /**
   * Frees free slots, in the pool's eviction order (least recently freed first when it keeps
   * that order), until at least `bytes` are gone or nothing is free; counted as evictions.
   * Returns the bytes freed. For a limit kept across several pools.
   */
  evictFree(bytes: number): number {
    if (this.disposed || !(bytes > 0)) return 0;
    const before = this.free.bytes;
    this.evictDownTo(Math.max(0, before - bytes));
    return before - this.free.bytes;
  }

  /** Sets the in-use and held peaks to the current values (as `torch.cuda.reset_peak_memory_stats`). */
  resetPeaks(): void {
    this.peakInUseCount = this.inUseCount;
    this.peakInUseBytes = this.inUseBytes;
    this.peakHeldBytes = this.heldBytes;
  }

  /**
   * Calls `fn` for every slot the pool owns: in use, free, pending or quarantined (`slot.state`
   * says which; `slot.requested` is the lease's length while in use). O(held): for statistics,
   * never the hot path.
   */
  forEachSlot(fn: (slot: Slot<H>) => void): void {
    for (let i = 0; i < this.inUseCount; i++) fn(this.inUse[i] as Slot<H>);
    // A fenced reset's slots are filed without their state written (see SlotState).
    this.free.forEach((slot) => {
      slot.state = SlotState.Free;
      fn(slot);
    });
    for (const batch of this.pending) {
      for (let i = 0; i < batch.count; i++) {
        const slot = batch.slots[i] as Slot<H>;
        slot.state = SlotState.Pending;
        fn(slot);
      }
    }
    for (const slot of this.quarantined) fn(slot);
  }

  /**
   * Several leases decided together: admission for the whole batch comes before any eviction
   * or allocation, so a batch refused by `maxBuffers`, `maxHeldBytes`, a bad capacity or
   * `admitFresh` changes nothing. Free slots are taken first (as `acquire` would, in order),
   * then every fresh one is allocated with `inBatch` true, then `finish` runs (a residency
   * commit, say). If an allocation or `finish` throws, the batch is undone: fresh slots are
   * destroyed and reused ones go back exactly where they were in their lists and in the
   * eviction order; only what eviction freed for the batch stays freed (as for `acquire`), and a
   * reused slot whose old neighbour that eviction took is filed as the most recently freed.
   *
   * @param byteLengths - checked by the caller with `checkByteLength`.
   */
  acquireBatchPrechecked(
    byteLengths: readonly number[],
    source: Source = 0 as Source,
    finish?: () => void,
  ): Slot<H>[] {
    const n = byteLengths.length;
    const capacities: number[] = [];
    for (const byteLength of byteLengths) {
      const capacity = this.policy.bucketSize(byteLength);
      if (!(capacity >= byteLength && Number.isInteger(capacity) && capacity <= MAX_BYTE_LENGTH))
        throw badCapacity(this.policy, byteLength, capacity);
      capacities.push(capacity);
    }
    const taken: FreePosition<H>[] = [];
    const slots: (Slot<H> | null)[] = [];
    const undoTaken = (): void => {
      for (let i = taken.length - 1; i >= 0; i--) this.free.putBack(taken[i] as FreePosition<H>);
    };
    let freshCount = 0;
    let freshBytes = 0;
    try {
      for (let i = 0; i < n; i++) {
        const slot = this.free.takeRecorded(
          source,
          capacities[i] as number,
          this.reuseLargerRatio,
          taken,
        );
        slots.push(slot);
        if (slot !== null) continue;
        this.admitFresh?.(capacities[i] as number, byteLengths[i] as number, source);
        // Its list now: a policy's classIndex is user code and may throw, before any change.
        this.free.bucketFor(source, capacities[i] as number);
        freshCount++;
        freshBytes += capacities[i] as number;
      }
      this.checkLimits(freshCount, freshBytes);
    } catch (error) {
      undoTaken();
      throw error;
    }
    const peakHeldBytes = this.peakHeldBytes;
    const made: Slot<H>[] = [];
    try {
      for (let i = 0; i < n; i++) {
        if (slots[i] !== null) continue;
        const slot = this.allocateAdmitted(
          byteLengths[i] as number,
          capacities[i] as number,
          source,
          true,
        );
        made.push(slot);
        slots[i] = slot;
      }
      finish?.();
    } catch (error) {
      for (let i = made.length - 1; i >= 0; i--) {
        this.destroySlot(made[i] as Slot<H>);
        this.destroyedCount--;
      }
      this.peakHeldBytes = peakHeldBytes;
      undoTaken();
      throw error;
    }
    for (let i = 0; i < n; i++) this.lease(slots[i] as Slot<H>, byteLengths[i] as number);
    this.hits += taken.length;
    this.misses += made.length;
    return slots as Slot<H>[];
  }

  /**
   * The lists a batch of {@link leaseHitFrom} calls reads, or null when hits cannot be leased that
   * way (another policy, or nothing free of `source`).
   */
  hitLists(source: Source = 0 as Source): HitLists<H> | null {
    return this.pow2Indexed ? this.free.indexedLists(source) : null;
  }

  /**
   * A batch's hit, leased but not finished: the most recently freed slot of `byteLength`'s pow2
   * class in `lists` (from {@link hitLists}), popped off its list and filed in use, or null (a
   * miss, a length past the indexed range) having changed nothing. Until {@link finishHits} the
   * slot keeps its place in the eviction order, so that {@link undoHit} (in reverse order)
   * restores the pool exactly. Nothing else may run on the pool in between.
   */
  leaseHitFrom(lists: HitLists<H>, byteLength: number): Slot<H> | null {
    if (byteLength > POW2_INDEXED_MAX) return null;
    const slot = this.free.popFrom(lists, pow2Index(byteLength));
    return slot === null ? null : this.lease(slot, byteLength);
  }

  /** Undoes the last {@link leaseHitFrom}. */
  undoHit(slot: Slot<H>): void {
    this.inUseCount--;
    this.inUseBytes -= slot.requested;
    slot.inUseIndex = -1;
    slot.state = SlotState.Free;
    this.free.pushBackPopped(slot);
  }

  /** Finishes the last `count` {@link leaseHitFrom} leases: counted as hits, peaks kept. */
  finishHits(count: number): void {
    this.free.finishPopped(this.inUse, this.inUseCount - count, this.inUseCount);
    this.hits += count;
  }

  /** Calls `fn` with every live lease's slot, in the order `reset` returns them. */
  forEachInUse(fn: (slot: Slot<H>) => void): void {
    for (let i = 0; i < this.inUseCount; i++) fn(this.inUse[i] as Slot<H>);
  }

  stats(): BucketPoolStats {
    this.notePeaks();
    return {
      inUseCount: this.inUseCount,
      inUseBytes: this.inUseBytes,
      freeCount: this.free.count,
      freeBytes: this.free.bytes,
      pendingCount: this.pendingCount,
      pendingBytes: this.pendingByteLength(),
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
      destroyed: this.destroyedCount,
      fenceErrors: this.fenceErrors,
    };
  }

  get inUseLength(): number {
    return this.inUseCount;
  }
  get inUseByteLength(): number {
    return this.inUseBytes;
  }
  get freeLength(): number {
    return this.free.count;
  }
  get freeByteLength(): number {
    return this.free.bytes;
  }
  get heldByteLength(): number {
    return this.heldBytes;
  }
  get heldLength(): number {
    return this.heldCount;
  }

  private fileFree(slot: Slot<H>, recycle = true): void {
    slot.state = SlotState.Free;
    this.free.file(slot);
    if (recycle && this.recycleHook !== undefined) this.recycleHook(slot.handle, slot.capacity);
  }

  private removeInUse(slot: Slot<H>): void {
    const last = this.inUse[--this.inUseCount] as Slot<H>;
    this.inUse[slot.inUseIndex] = last;
    last.inUseIndex = slot.inUseIndex;
    slot.inUseIndex = -1;
    this.inUseBytes -= slot.requested;
  }

  /**
   * A fresh slot. Limits are checked first, so that `MEMORY_LIMIT` changes nothing; then free
   * slots are evicted as the limits and `maxHeldRatio` require. An `allocate` that throws after
   * evictions leaves the pool without those cached slots, and otherwise unchanged.
   */
  private allocateFresh(
    byteLength: number,
    capacity: number,
    source: Source,
    inBatch: boolean,
  ): Slot<H> {
    if (!Number.isInteger(capacity) || capacity > MAX_BYTE_LENGTH) {
      throw badCapacity(this.policy, byteLength, capacity);
    }
    this.admitFresh?.(capacity, byteLength, source);
    this.checkLimits(1, capacity);
    return this.allocateAdmitted(byteLength, capacity, source, inBatch);
  }

  /** A fresh slot whose admission was decided: evicts what the limits need, then allocates. */
  private allocateAdmitted(
    byteLength: number,
    capacity: number,
    source: Source,
    inBatch: boolean,
  ): Slot<H> {
    // The list first: a policy's classIndex is user code, and must not throw past an eviction
    // or an allocation.
    const bucket = this.free.bucketFor(source, capacity);
    if (this.maxHeldRatio !== Number.POSITIVE_INFINITY) this.trimForDemand(byteLength, capacity);
    // Test the limits first: finding an evictable slot scans the lists when no LRU order is kept.
    while (this.heldCount + 1 > this.maxBuffers || this.heldBytes + capacity > this.maxHeldBytes) {
      const s = this.free.evictable;
      if (s === null) break;
      this.evict(s);
    }
    const handle = this.allocateHandle(capacity, source, inBatch);
    const slot = new Slot(handle, capacity);
    slot.bucket = bucket;
    this.heldCount++;
    this.heldBytes += capacity;
    if (this.heldBytes > this.peakHeldBytes) this.peakHeldBytes = this.heldBytes;
    return slot;
  }

  /**
   * Throws `MEMORY_LIMIT` when even evicting every free slot leaves no room for `count` more
   * slots of `bytes` in all. Nothing has changed when it throws.
   */
  private checkLimits(count: number, bytes: number): void {
    const fitsCount = this.heldCount - this.free.count + count <= this.maxBuffers;
    const fitsBytes = this.heldBytes - this.free.bytes + bytes <= this.maxHeldBytes;
    if (fitsCount && fitsBytes) return;
    const adding = count === 1 ? `${bytes}` : `${count} buffers of ${bytes} bytes in all`;
    const what = !fitsCount
      ? `${this.heldCount} buffers (maxBuffers ${this.maxBuffers})` +
        (count === 1 ? "" : `, cannot add ${count}`)
      : `${this.heldBytes} bytes, cannot add ${adding} (maxHeldBytes ${this.maxHeldBytes})`;
    throw new MlxError(
      "MEMORY_LIMIT",
      `${this.label} holds ${what} with ${this.inUseCount} in use and ${this.pendingCount} pending: ` +
        "is reset() called once per step? A loop that allocates without reset or release grows without bound",
      { value: !fitsCount ? this.heldCount : this.heldBytes + bytes },
    );
  }

  /**
   * `maxHeldRatio`: evicts free slots, oldest first, so that held bytes stay within the ratio of
   * the live peak. Only when eviction can reach that bound: otherwise it would empty the cache
   * on every miss and gain nothing.
   */
  private trimForDemand(byteLength: number, capacity: number): void {
    // The recorded peak plus the current level is the true peak (see notePeaks).
    const demand = Math.max(this.peakInUseBytes, this.inUseBytes + byteLength);
    const limit = demand * this.maxHeldRatio;
    if (this.heldBytes - this.free.bytes + capacity > limit) return;
    while (this.heldBytes + capacity > limit) {
      const s = this.free.evictable;
      if (s === null) break;
      this.evict(s);
    }
  }

  private evictDownTo(maxFree: number, countAsEviction = true): void {
    if (maxFree === 0) {
      // Everything goes (clear, dispose): one pass, not a scan per slot.
      for (const s of this.free.all()) this.evict(s, countAsEviction);
      return;
    }
    while (this.free.bytes > maxFree) {
      const s = this.free.evictable;
      if (s === null) break;
      this.evict(s, countAsEviction);
    }
  }

  private evict(slot: Slot<H>, countAsEviction = true): void {
    this.free.unlink(slot);
    if (countAsEviction) this.evictions++;
    this.destroySlot(slot);
  }

  private destroySlot(slot: Slot<H>): void {
    slot.state = SlotState.Destroyed;
    slot.generation++;
    this.heldCount--;
    this.heldBytes -= slot.capacity;
    this.destroyedCount++;
    this.destroyHandle(slot.handle, slot.capacity);
  }

  private destroyQuarantined(slot: Slot<H>): void {
    this.quarantined.delete(slot);
    this.quarantinedBytes -= slot.capacity;
    this.destroySlot(slot);
  }

  /**
   * Ends the leases of a fenced reset's `batch.slots[0..count)` and stages them in the same pass
   * (as the plain reset files them), so that the fence completing files them in O(classes).
   */
  private endStaged(batch: FenceBatch<H>, count: number): void {
    const slots = batch.slots;
    if (batch.staged === null) batch.staged = new StagedSlots<H>();
    const staged = batch.staged;
    const free = this.free;
    free.beginStage(staged);
    for (let i = 0; i < count; i++) {
      const slot = slots[i] as Slot<H>;
      slot.generation++;
      free.stage(slot, staged);
    }
    free.endStage(staged);
    batch.isStaged = true;
    batch.bytes = staged.bytes;
    this.pendingBytes += staged.bytes;
  }

  /** {@link endStaged} for a pool with a recycle hook, which runs per slot when the fence settles. */
  private endUnstaged(batch: FenceBatch<H>, count: number): void {
    const slots = batch.slots;
    for (let i = 0; i < count; i++) (slots[i] as Slot<H>).generation++;
    batch.isStaged = false;
    // Summed when read or settled.
    batch.bytes = -1;
  }

  /** One released slot out of circulation until `batch`'s fence settles. */
  private fence(slot: Slot<H>, batch: FenceBatch<H>): void {
    batch.slots[0] = slot;
    batch.count = 1;
    batch.isStaged = false;
    batch.bytes = -1;
    slot.state = SlotState.Pending;
    this.pendingCount++;
    this.filePending(batch);
  }

  /**
   * Bytes (capacities) of every pending slot. A fence leaves its batch's sum to the first reader:
   * `pendingBytes` holds the batches already summed.
   */
  private pendingByteLength(): number {
    for (const batch of this.pending) {
      if (batch.bytes >= 0) continue;
      let bytes = 0;
      for (let i = 0; i < batch.count; i++) bytes += (batch.slots[i] as Slot<H>).capacity;
      batch.bytes = bytes;
      this.pendingBytes += bytes;
    }
    return this.pendingBytes;
  }

  /**
   * A batch (a settled one kept for reuse, else a new one) listening to `after`. Through the
   * built-in `then` of a promise resolved from it, whatever `after` is: its callbacks run once,
   * and later, when the batch has been filled. If that throws, nothing has changed.
   */
  private listen(after: Fence): FenceBatch<H> {
    const batch = this.spareBatches.pop() ?? new FenceBatch<H>(this.settleBatch);
    try {
      promiseThen.call(Promise.resolve(after), batch.onFulfilled, batch.onRejected);
    } catch (error) {
      this.spareBatches.push(batch);
      throw error;
    }
    return batch;
  }

  /** Files `batch` (its slots already pending and counted) among the pending ones. */
  private filePending(batch: FenceBatch<H>): void {
    batch.index = this.pending.length;
    this.pending.push(batch);
  }

  /**
   * Moves a batch's slots on once its fence settled. It runs from a promise callback, where a
   * throw would be an unhandled rejection (fatal in Node): errors are counted in `fenceErrors`
   * and kept in `lastFenceError` instead.
   */
  private settle(batch: FenceBatch<H>, completed: boolean): void {
    // Only the pending batch its fence belongs to; a call for anything else is ignored.
    if (batch.index < 0 || this.pending[batch.index] !== batch) return;
    const last = this.pending.pop() as FenceBatch<H>;
    if (last !== batch) {
      this.pending[batch.index] = last;
      last.index = batch.index;
    }
    batch.index = -1;
    this.pendingCount -= batch.count;
    if (batch.bytes >= 0) this.pendingBytes -= batch.bytes;
    // One pass over the slots per outcome (none for staged slots whose fence completed); a slot
    // whose move throws is counted and the pass goes on after it.
    if (this.disposed) this.destroySettled(batch);
    else if (!completed) this.quarantineSettled(batch);
    else if (batch.isStaged) this.free.fileStaged(batch.staged as StagedSlots<H>);
    else this.fileSettled(batch);
    if (!this.disposed && this.spareBatches.length < MAX_SPARE_BATCHES)
      this.spareBatches.push(batch);
    try {
      if (!this.disposed && this.free.bytes > this.maxFreeBytes)
        this.evictDownTo(this.maxFreeBytes);
      this.fenceSettledHook?.();
    } catch (error) {
      this.noteFenceError(error);
    }
  }

  /**
   * Files every slot of a settled batch free: a tight loop, the recycle hook (poisoning) and its
   * error handling out of line, as this runs once per fenced step.
   */
  private fileSettled(batch: FenceBatch<H>): void {
    const slots = batch.slots;
    const n = batch.count;
    const recycle = this.recycleHook;
    const free = this.free;
    for (let i = 0; i < n; i++) {
      const slot = slots[i] as Slot<H>;
      slot.state = SlotState.Free;
      free.file(slot);
      if (recycle !== undefined) this.recycleSettled(recycle, slot);
    }
  }

  /** The recycle hook for a settled slot: an error is counted, never thrown (see settle). */
  private recycleSettled(recycle: (handle: H, capacity: number) => void, slot: Slot<H>): void {
    try {
      recycle(slot.handle, slot.capacity);
    } catch (error) {
      this.noteFenceError(error);
    }
  }

  /** Quarantines every slot of a batch whose fence rejected. */
  private quarantineSettled(batch: FenceBatch<H>): void {
    for (let i = 0; i < batch.count; i++) {
      const slot = batch.slots[i] as Slot<H>;
      slot.state = SlotState.Quarantined;
      this.quarantined.add(slot);
      this.quarantinedBytes += slot.capacity;
    }
  }

  /** Destroys every slot of a batch that settled after the pool was disposed. */
  private destroySettled(batch: FenceBatch<H>): void {
    for (let i = 0; i < batch.count; i++) {
      try {
        this.destroySlot(batch.slots[i] as Slot<H>);
      } catch (error) {
        this.noteFenceError(error);
      }
    }
  }

  private noteFenceError(error: unknown): void {
    this.fenceErrors++;
    this.lastFenceError = error;
  }
}

/** Largest length whose pow2 class index `32 - clz32(n - 1)` is exact in 32-bit arithmetic. */
const POW2_INDEXED_MAX = 0x4000_0000;
/** `then` as promises have it: a fence's own `then` could call back twice, or late. */
const promiseThen = Promise.prototype.then;
/** Settled fence batches kept for reuse: enough for a few steps in flight behind fences. */
const MAX_SPARE_BATCHES = 8;

/** The pow2 class index of a length in `[1, POW2_INDEXED_MAX]`. */
function pow2Index(byteLength: number): number {
  return byteLength <= 1 ? 0 : 32 - Math.clz32(byteLength - 1);
}

function checkFence(after: unknown): void {
  if (typeof (after as Fence | null)?.then !== "function") {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `after must be a promise or another thenable, got ${describeValue(after)}`,
      {
        value: after,
      },
    );
  }
}

function badCapacity(policy: SizePolicy, byteLength: number, capacity: number): MlxError {
  return new MlxError(
    "INVALID_ARGUMENT",
    `size policy ${policy.name} maps ${byteLength} bytes to ${describeValue(capacity)}: a capacity must be an integer no smaller than the request and no larger than 2^53`,
    { value: capacity },
  );
}
