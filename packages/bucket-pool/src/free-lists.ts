import type { SizePolicy } from "./size-policy.js";
import { FreeBucket, LruList, type Slot } from "./slot.js";

/** The free lists of one home (a device, for the GPU pool): one per capacity. */
interface Home<H> {
  readonly buckets: Map<number, FreeBucket<H>>;
  /** The same lists by the policy's class index, when it has one (the hot path's lookup). */
  readonly byIndex: (FreeBucket<H> | undefined)[];
  /** Capacities with a bucket, ascending; kept only when larger classes may serve a request. */
  readonly capacities: number[];
}

/**
 * Every free slot, filed by home and capacity (LIFO within a class), and, when a cache limit
 * needs it, in one least-recently-freed order across all of them for eviction. A slot is only
 * ever reused in its own home: memory of one device never serves another.
 */
export class FreeLists<H> {
  count = 0;
  bytes = 0;
  private readonly lru = new LruList<H>();
  /** Without a cache limit nobody needs the order, and the hot path skips keeping it. */
  private readonly keepLru: boolean;
  private readonly homes = new Map<number, Home<H>>();
  private readonly keepCapacities: boolean;
  /**
   * The policy, when it has a class index: array lookups instead of Map lookups. Dropped (Map
   * lookups from then on) if two capacities ever share an index, so a careless policy costs
   * speed, never correctness.
   */
  private indexer: Required<Pick<SizePolicy, "classIndex">> | undefined;
  /** The home of the last lookup: a pool mostly serves one device, so this saves the Map. */
  private lastHomeId = Number.NaN;
  private lastHome: Home<H> | undefined = undefined;

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
    for (const home of this.homes.values()) {
      for (const bucket of home.buckets.values()) if (bucket.head !== null) return bucket.head;
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
    for (const home of this.homes.values()) {
      for (const bucket of home.buckets.values()) {
        for (let s = bucket.head; s !== null; s = s.bucketNext) fn(s);
      }
    }
  }

  /** The list a new slot of this class is filed in (made on first use). */
  bucketFor(home: number, capacity: number): FreeBucket<H> {
    const h = this.home(home, true) as Home<H>;
    let bucket = h.buckets.get(capacity);
    if (bucket === undefined) {
      bucket = new FreeBucket<H>(capacity);
      h.buckets.set(capacity, bucket);
      if (this.indexer !== undefined) this.index(h, bucket);
      if (this.keepCapacities) h.capacities.splice(lowerBound(h.capacities, capacity), 0, capacity);
    }
    return bucket;
  }

  /** The most recently freed slot of exactly this class, taken off the lists; O(1). */
  takeExact(home: number, capacity: number): Slot<H> | null {
    const h = home === this.lastHomeId ? this.lastHome : this.home(home, false);
    if (h === undefined) return null;
    const bucket =
      this.indexer === undefined
        ? h.buckets.get(capacity)
        : h.byIndex[this.indexer.classIndex(capacity)];
    if (bucket === undefined || bucket.head === null || bucket.capacity !== capacity) return null;
    // Kept small and free of calls that do not inline: this is the pool hit.
    const slot = bucket.pop();
    if (this.keepLru) this.lru.unlink(slot);
    this.count--;
    this.bytes -= slot.capacity;
    return slot;
  }

  /** The free slot of the smallest class in (capacity, capacity x maxRatio], taken off the lists. */
  takeLarger(home: number, capacity: number, maxRatio: number): Slot<H> | null {
    const h = this.home(home, false);
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

  /** Files a slot as the most recently freed of its class. */
  file(slot: Slot<H>): void {
    (slot.bucket as FreeBucket<H>).push(slot);
    if (this.keepLru) this.lru.append(slot);
    this.count++;
    this.bytes += slot.capacity;
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
    this.homes.clear();
    this.lastHomeId = Number.NaN;
    this.lastHome = undefined;
  }

  private index(h: Home<H>, bucket: FreeBucket<H>): void {
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

  private home(id: number, create: boolean): Home<H> | undefined {
    let h = this.homes.get(id);
    if (h === undefined && create) {
      h = { buckets: new Map(), byIndex: [], capacities: [] };
      this.homes.set(id, h);
    }
    if (h !== undefined) {
      this.lastHomeId = id;
      this.lastHome = h;
    }
    return h;
  }
}

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
