import type { SizePolicy } from "./size-policy.js";
import { FreeBucket, LruList, type Slot, SlotState } from "./slot.js";
import type { StagedSlots } from "./staged-slots.js";

/**
 * Where a free slot sat before a batch took it: its neighbours in its class list and in the
 * eviction order. Undone in reverse order, the neighbours are adjacent again, so the slot goes
 * back exactly where it was.
 */
export interface FreePosition<H> {
  readonly slot: Slot<H>;
  readonly bucketPrev: Slot<H> | null;
  readonly bucketNext: Slot<H> | null;
  readonly lruPrev: Slot<H> | null;
  readonly lruNext: Slot<H> | null;
}

/** The free lists of one source of memory (a device, for the GPU pool): one per capacity. */
interface SourceLists<H> {
  readonly buckets: Map<number, FreeBucket<H>>;
  /** The same lists by the policy's class index, when it has one (the hot path's lookup). */
  readonly byIndex: (FreeBucket<H> | undefined)[];
  /** Capacities with a bucket, ascending; kept only when larger classes may serve a request. */
  readonly capacities: number[];
}

/**
 * Every free slot, filed by source and capacity (LIFO within a class), and, when a cache limit
 * needs it, in one least-recently-freed order across all of them for eviction. A slot is only
 * ever reused for its own source: memory of one device never serves another.
 */
export class FreeLists<H, Source = number> {
  count = 0;
  bytes = 0;
  private readonly lru = new LruList<H>();
  /** Without a cache limit nobody needs the order, and the hot path skips keeping it. */
  private readonly keepLru: boolean;
  private readonly sources = new Map<Source, SourceLists<H>>();
  private readonly keepCapacities: boolean;
  /**
   * The policy, when it has a class index: array lookups instead of Map lookups. Dropped (Map
   * lookups from then on) if two capacities ever share an index, so a careless policy costs
   * speed, never correctness.
   */
  private indexer: Required<Pick<SizePolicy, "classIndex">> | undefined;
  /** The source of the last lookup: a pool mostly serves one device, so this saves the Map. */
  private lastSource: Source | typeof NO_SOURCE = NO_SOURCE;
  private lastLists: SourceLists<H> | undefined = undefined;

  constructor(keepCapacities: boolean, keepLru: boolean, policy: SizePolicy) {
    this.keepCapacities = keepCapacities;
    this.keepLru = keepLru;
    this.indexer =
      typeof policy.classIndex === "function"
        ? (policy as Required<Pick<SizePolicy, "classIndex">>)
        : undefined;
  }

  /**
   * The slot to evict first: the least recently freed one when the order is kept, else any free
   * slot (the head of the first non-empty list). Null when nothing is free.
   */
  get evictable(): Slot<H> | null {
    if (this.keepLru || this.count === 0) return this.lru.oldest;
    for (const lists of this.sources.values()) {
      for (const bucket of lists.buckets.values()) if (bucket.head !== null) return bucket.head;
    }
    return null;
  }

  /** Every free slot, in one pass over the lists (for clear and dispose: O(free + classes)). */
  all(): Slot<H>[] {
    const slots: Slot<H>[] = [];
    this.forEach((slot) => {
      slots.push(slot);
    });
    return slots;
  }

  /** Calls `fn` for every free slot. */
  forEach(fn: (slot: Slot<H>) => void): void {
    for (const lists of this.sources.values()) {
      for (const bucket of lists.buckets.values()) {
        for (let s = bucket.head; s !== null; s = s.bucketNext) fn(s);
      }
    }
  }

  /** The list a new slot of this class is filed in (made on first use). */
  bucketFor(source: Source, capacity: number): FreeBucket<H> {
    const h = this.listsOf(source, true) as SourceLists<H>;
    let bucket = h.buckets.get(capacity);
    if (bucket === undefined) {
      bucket = new FreeBucket<H>(capacity);
      // Indexed first: the policy's classIndex may throw, and then nothing is recorded.
      if (this.indexer !== undefined) this.index(h, bucket);
      h.buckets.set(capacity, bucket);
      if (this.keepCapacities) h.capacities.splice(lowerBound(h.capacities, capacity), 0, capacity);
    }
    return bucket;
  }

  /** The most recently freed slot of exactly this class, taken off the lists; O(1). */
  takeExact(source: Source, capacity: number): Slot<H> | null {
    const h = source === this.lastSource ? this.lastLists : this.listsOf(source, false);
    if (h === undefined) return null;
    const bucket =
      this.indexer === undefined
        ? h.buckets.get(capacity)
        : h.byIndex[this.indexer.classIndex(capacity)];
    if (bucket === undefined || bucket.head === null || bucket.capacity !== capacity) return null;
    return this.takeHead(bucket);
  }

  /**
   * The most recently freed slot of the class the policy's `classIndex` numbers `index`, or null
   * (none free, or the index was dropped). For a caller that computed the index without the
   * capacity; this is the pool hit, kept small and free of calls that do not inline.
   */
  takeIndexed(source: Source, index: number): Slot<H> | null {
    const slot = this.popIndexed(source, index);
    if (slot !== null && this.keepLru) this.lru.unlink(slot);
    return slot;
  }

  /**
   * The head of the class numbered `index` taken off its class list and out of the counts, but
   * left in the eviction order until {@link finishPopped}; {@link pushBackPopped} (several in
   * reverse order of popping) puts it back exactly where it was.
   */
  popIndexed(source: Source, index: number): Slot<H> | null {
    const lists = this.indexedLists(source);
    return lists === null ? null : this.popFrom(lists, index);
  }

  /**
   * The class lists {@link popIndexed} reads for `source`, for a caller about to pop many with
   * {@link popFrom}; null when it has none or they are not indexed.
   */
  indexedLists(source: Source): readonly (FreeBucket<H> | undefined)[] | null {
    const h = source === this.lastSource ? this.lastLists : this.listsOf(source, false);
    return h === undefined || this.indexer === undefined ? null : h.byIndex;
  }

  /** {@link popIndexed} from lists {@link indexedLists} returned, with nothing filed since. */
  popFrom(byIndex: readonly (FreeBucket<H> | undefined)[], index: number): Slot<H> | null {
    const bucket = byIndex[index];
    if (bucket === undefined || bucket.head === null) return null;
    const slot = bucket.pop();
    this.count--;
    this.bytes -= slot.capacity;
    return slot;
  }

  /** Undoes one {@link popIndexed}. */
  pushBackPopped(slot: Slot<H>): void {
    (slot.bucket as FreeBucket<H>).push(slot);
    this.count++;
    this.bytes += slot.capacity;
  }

  /**
   * Completes the {@link popIndexed} of `slots[from..to)`: they leave the eviction order (a
   * no-op when no order is kept).
   */
  finishPopped(slots: readonly Slot<H>[], from: number, to: number): void {
    if (!this.keepLru) return;
    for (let i = from; i < to; i++) this.lru.unlink(slots[i] as Slot<H>);
  }

  private takeHead(bucket: FreeBucket<H>): Slot<H> {
    const slot = bucket.pop();
    if (this.keepLru) this.lru.unlink(slot);
    this.count--;
    this.bytes -= slot.capacity;
    return slot;
  }

  /** The free slot of the smallest class in (capacity, capacity x maxRatio], taken off the lists. */
  takeLarger(source: Source, capacity: number, maxRatio: number): Slot<H> | null {
    const h = this.listsOf(source, false);
    if (h === undefined) return null;
    const limit = capacity * maxRatio;
    for (let i = lowerBound(h.capacities, capacity); i < h.capacities.length; i++) {
      const c = h.capacities[i] as number;
      if (c > limit) break;
      const slot = (h.buckets.get(c) as FreeBucket<H>).head;
      if (slot !== null) {
        this.unlink(slot);
        return slot;
      }
    }
    return null;
  }

  /**
   * What {@link takeExact}, then {@link takeLarger} within `maxRatio`, would take, taken off the
   * lists with its position appended to `log` so that {@link putBack} can restore it.
   */
  takeRecorded(
    source: Source,
    capacity: number,
    maxRatio: number,
    log: FreePosition<H>[],
  ): Slot<H> | null {
    const h = this.listsOf(source, false);
    if (h === undefined) return null;
    let slot = h.buckets.get(capacity)?.head ?? null;
    if (slot === null && maxRatio > 1) {
      const limit = capacity * maxRatio;
      for (let i = lowerBound(h.capacities, capacity); i < h.capacities.length; i++) {
        const c = h.capacities[i] as number;
        if (c > limit) break;
        slot = (h.buckets.get(c) as FreeBucket<H>).head;
        if (slot !== null) break;
      }
    }
    if (slot === null) return null;
    log.push({
      slot,
      bucketPrev: slot.bucketPrev,
      bucketNext: slot.bucketNext,
      lruPrev: slot.lruPrev,
      lruNext: slot.lruNext,
    });
    this.unlink(slot);
    return slot;
  }

  /**
   * Undoes one {@link takeRecorded}; undo several in reverse order of taking. The slot goes back
   * between its old neighbours when they are still there and adjacent; when an eviction since
   * removed one, it is filed as the most recently freed instead (its old place is gone).
   */
  putBack(position: FreePosition<H>): void {
    const slot = position.slot;
    const bucket = slot.bucket as FreeBucket<H>;
    if (!this.placeIntact(bucket, position)) {
      this.file(slot);
      return;
    }
    bucket.insertBetween(slot, position.bucketPrev, position.bucketNext);
    if (this.keepLru) this.lru.insertBetween(slot, position.lruPrev, position.lruNext);
    this.count++;
    this.bytes += slot.capacity;
  }

  /** Whether `position`'s neighbours are all still free and adjacent in both orders. */
  private placeIntact(bucket: FreeBucket<H>, position: FreePosition<H>): boolean {
    const { bucketPrev: bp, bucketNext: bn, lruPrev: lp, lruNext: ln } = position;
    if (!(isFiled(bp) && isFiled(bn))) return false;
    if ((bp === null ? bucket.head : bp.bucketNext) !== bn) return false;
    if (bn !== null && bn.bucketPrev !== bp) return false;
    if (!this.keepLru) return true;
    if (!(isFiled(lp) && isFiled(ln))) return false;
    return (
      (lp === null ? this.lru.oldest : lp.lruNext) === ln &&
      (ln === null ? this.lru.newest : ln.lruPrev) === lp
    );
  }

  /** Files a slot as the most recently freed of its class. */
  file(slot: Slot<H>): void {
    (slot.bucket as FreeBucket<H>).push(slot);
    if (this.keepLru) this.lru.append(slot);
    this.count++;
    this.bytes += slot.capacity;
  }

  /** Starts staging into `into` (see {@link stage}), forgetting what it staged before. */
  beginStage(into: StagedSlots<H>): void {
    into.classes = 0;
    into.lruHead = null;
    into.lruTail = null;
    into.count = 0;
    into.bytes = 0;
  }

  /**
   * Links `slot` into `into` as {@link file} would link it, leaving the lists and their counts
   * as they are: {@link fileStaged} files every staged slot later in O(classes). Nothing else may
   * touch the lists between {@link beginStage} and {@link endStage}, which always follows (no
   * step of a staging can throw): a list's `stagedHead` is null outside a staging.
   */
  stage(slot: Slot<H>, into: StagedSlots<H>): void {
    const bucket = slot.bucket as FreeBucket<H>;
    // The class's slot staged just before this one, which this one goes in front of.
    const previous = bucket.stagedHead;
    if (previous === null) {
      into.buckets[into.classes] = bucket;
      into.tails[into.classes++] = slot;
      slot.bucketNext = null;
    } else {
      slot.bucketNext = previous;
      previous.bucketPrev = slot;
    }
    slot.bucketPrev = null;
    bucket.stagedHead = slot;
    if (this.keepLru) {
      const tail = into.lruTail;
      slot.lruPrev = tail;
      slot.lruNext = null;
      if (tail !== null) tail.lruNext = slot;
      else into.lruHead = slot;
      into.lruTail = slot;
    }
    into.count++;
    into.bytes += slot.capacity;
  }

  /** Ends a staging: each class's chain is recorded in `into`, and the lists hold no reference to it. */
  endStage(into: StagedSlots<H>): void {
    for (let k = 0; k < into.classes; k++) {
      const bucket = into.buckets[k] as FreeBucket<H>;
      into.heads[k] = bucket.stagedHead as Slot<H>;
      bucket.stagedHead = null;
    }
  }

  /**
   * Files every slot staged in `into` as the most recently freed of its class, in the order
   * filing them one by one in staging order would give; O(classes staged).
   */
  fileStaged(into: StagedSlots<H>): void {
    for (let k = 0; k < into.classes; k++) {
      const bucket = into.buckets[k] as FreeBucket<H>;
      const tail = into.tails[k] as Slot<H>;
      tail.bucketNext = bucket.head;
      if (bucket.head !== null) bucket.head.bucketPrev = tail;
      bucket.head = into.heads[k] as Slot<H>;
    }
    if (this.keepLru && into.lruHead !== null) {
      this.lru.appendChain(into.lruHead, into.lruTail as Slot<H>);
    }
    this.count += into.count;
    this.bytes += into.bytes;
  }

  /** Takes a free slot off every list. */
  unlink(slot: Slot<H>): void {
    (slot.bucket as FreeBucket<H>).unlink(slot);
    if (this.keepLru) this.lru.unlink(slot);
    this.count--;
    this.bytes -= slot.capacity;
  }

  /** Forgets every (empty) list; for a disposed pool. */
  clearLists(): void {
    this.sources.clear();
    this.lastSource = NO_SOURCE;
    this.lastLists = undefined;
  }

  private index(h: SourceLists<H>, bucket: FreeBucket<H>): void {
    const i = (this.indexer as Required<Pick<SizePolicy, "classIndex">>).classIndex(
      bucket.capacity,
    );
    const taken = h.byIndex[i];
    if (
      !Number.isSafeInteger(i) ||
      i < 0 ||
      i > 1 << 20 ||
      (taken !== undefined && taken !== bucket)
    ) {
      this.indexer = undefined;
      return;
    }
    h.byIndex[i] = bucket;
  }

  private listsOf(source: Source, create: boolean): SourceLists<H> | undefined {
    let h = this.sources.get(source);
    if (h === undefined && create) {
      h = { buckets: new Map(), byIndex: [], capacities: [] };
      this.sources.set(source, h);
    }
    if (h !== undefined) {
      this.lastSource = source;
      this.lastLists = h;
    }
    return h;
  }
}

/** A neighbour that is none (null) or a slot not destroyed: a free slot, for a recorded neighbour. */
function isFiled<H>(slot: Slot<H> | null): boolean {
  return slot === null || slot.state !== SlotState.Destroyed;
}

/** `lastSource` before any lookup: unequal to every source, `NaN` and `undefined` included. */
const NO_SOURCE: unique symbol = Symbol("no source");

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
