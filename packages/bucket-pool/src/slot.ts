/**
 * Where a slot is in its life; a slot only moves forward to `Destroyed`. A fenced reset of a pool
 * without a recycle hook writes no state (the generation alone ends the leases, see
 * `BucketPool.isLive`): its slots keep the state they had while pending and once the fence has
 * returned them, until `forEachSlot` writes it or they are leased again. So a slot's state is
 * exact inside `forEachSlot`, for a live lease, and once `Destroyed`; liveness is the generation's.
 */
export enum SlotState {
  Free = 0,
  InUse = 1,
  /** Out of circulation until a fence settles (see `BucketPool.reset({ after })`). */
  Pending = 2,
  /** Its fence rejected: the GPU may still use it, so it never returns to circulation. */
  Quarantined = 3,
  Destroyed = 4,
}

/**
 * One allocation the pool owns, reused across leases. The links make both the per-bucket free
 * list and the least-recently-used order intrusive, so moving a slot never allocates.
 */
export class Slot<H> {
  readonly handle: H;
  readonly capacity: number;
  /** Bumped each time the slot leaves a lease; a lease is live while its generation matches. */
  generation = 0;
  state: SlotState = SlotState.InUse;
  /** Requested length of the current lease. */
  requested = 0;
  /** Position in the pool's in-use array, for O(1) removal. */
  inUseIndex = -1;
  bucketPrev: Slot<H> | null = null;
  bucketNext: Slot<H> | null = null;
  lruPrev: Slot<H> | null = null;
  lruNext: Slot<H> | null = null;
  /** The free list this slot belongs to, set when it is first filed. */
  bucket: FreeBucket<H> | null = null;
  /**
   * Free for the pool's caller, never read here: `@mlx/pool` keeps the current lease's own
   * detachable view in it (`strictViews`).
   */
  leaseView: ArrayBuffer | null = null;

  constructor(handle: H, capacity: number) {
    this.handle = handle;
    this.capacity = capacity;
  }
}

/** A LIFO list of free slots of one capacity. */
export class FreeBucket<H> {
  readonly capacity: number;
  head: Slot<H> | null = null;
  /** While slots are staged (`FreeLists.stage`), the most recent of this class; else null. */
  stagedHead: Slot<H> | null = null;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  push(slot: Slot<H>): void {
    slot.bucketPrev = null;
    slot.bucketNext = this.head;
    if (this.head !== null) this.head.bucketPrev = slot;
    this.head = slot;
  }

  /**
   * Takes the most recently pushed slot off the list; the caller checked `head` is not null.
   * The slot's own links are left as they were: they mean nothing until it is filed again.
   */
  pop(): Slot<H> {
    const slot = this.head as Slot<H>;
    const next = slot.bucketNext;
    this.head = next;
    if (next !== null) next.bucketPrev = null;
    return slot;
  }

  unlink(slot: Slot<H>): void {
    if (slot.bucketPrev !== null) slot.bucketPrev.bucketNext = slot.bucketNext;
    else this.head = slot.bucketNext;
    if (slot.bucketNext !== null) slot.bucketNext.bucketPrev = slot.bucketPrev;
    slot.bucketPrev = null;
    slot.bucketNext = null;
  }

  /** Puts `slot` back between the neighbours it had (adjacent again when undone in reverse). */
  insertBetween(slot: Slot<H>, prev: Slot<H> | null, next: Slot<H> | null): void {
    slot.bucketPrev = prev;
    slot.bucketNext = next;
    if (prev !== null) prev.bucketNext = slot;
    else this.head = slot;
    if (next !== null) next.bucketPrev = slot;
  }
}

/** Every free slot in the order it became free: eviction takes the oldest first. */
export class LruList<H> {
  oldest: Slot<H> | null = null;
  newest: Slot<H> | null = null;

  append(slot: Slot<H>): void {
    slot.lruNext = null;
    slot.lruPrev = this.newest;
    if (this.newest !== null) this.newest.lruNext = slot;
    else this.oldest = slot;
    this.newest = slot;
  }

  unlink(slot: Slot<H>): void {
    if (slot.lruPrev !== null) slot.lruPrev.lruNext = slot.lruNext;
    else this.oldest = slot.lruNext;
    if (slot.lruNext !== null) slot.lruNext.lruPrev = slot.lruPrev;
    else this.newest = slot.lruPrev;
    slot.lruPrev = null;
    slot.lruNext = null;
  }

  /** Appends a chain already linked from `head` to `tail` (see `StagedSlots`). */
  appendChain(head: Slot<H>, tail: Slot<H>): void {
    head.lruPrev = this.newest;
    if (this.newest !== null) this.newest.lruNext = head;
    else this.oldest = head;
    this.newest = tail;
  }

  /** Puts `slot` back between the neighbours it had, as {@link FreeBucket.insertBetween}. */
  insertBetween(slot: Slot<H>, prev: Slot<H> | null, next: Slot<H> | null): void {
    slot.lruPrev = prev;
    slot.lruNext = next;
    if (prev !== null) prev.lruNext = slot;
    else this.oldest = slot;
    if (next !== null) next.lruPrev = slot;
    else this.newest = slot;
  }
}
