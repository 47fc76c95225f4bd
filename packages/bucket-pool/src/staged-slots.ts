import type { FreeBucket, Slot } from "./slot.js";

/**
 * Slots linked as filing them free one by one would link them, but not on the lists yet: one
 * chain per class (`heads[k]` ... `tails[k]`, filed most recent first) and one chain in eviction
 * order. `FreeLists.fileStaged` puts them all on the lists in O(classes). A fenced reset stages
 * its slots in the pass that ends their leases, so its fence settling walks no slot.
 */
export class StagedSlots<H> {
  /** Classes staged: `buckets`, `heads` and `tails` in `[0, classes)`; entries past it are leftovers. */
  classes = 0;
  readonly buckets: FreeBucket<H>[] = [];
  readonly heads: Slot<H>[] = [];
  readonly tails: Slot<H>[] = [];
  /** The chain in eviction order, kept only when the lists keep that order. */
  lruHead: Slot<H> | null = null;
  lruTail: Slot<H> | null = null;
  count = 0;
  bytes = 0;

  /** Drops the leftovers past `classes` (references to slots that may be gone since). */
  dropLeftovers(): void {
    this.buckets.length = this.classes;
    this.heads.length = this.classes;
    this.tails.length = this.classes;
  }
}
