import { expect } from "vitest";
import type { BucketPool, FreeBucket, Slot } from "../src/index.js";
import type { FakeHandle } from "./fake-handles.js";

type FakeSlot = Slot<FakeHandle>;
/** The private parts of a pool's free lists that a structural check walks. */
interface FreeListsInside {
  count: number;
  bytes: number;
  keepLru: boolean;
  sources: Map<unknown, { buckets: Map<number, FreeBucket<FakeHandle>> }>;
  lru: { oldest: FakeSlot | null; newest: FakeSlot | null };
}

/**
 * Walks every free list of `pool` both ways and its eviction order, expecting well-formed links,
 * no destroyed handle, counts that match; returns the handle ids in list order per non-empty
 * class (and the eviction order), so that two pools can be compared order for order.
 */
export function freeListStructure(pool: BucketPool<FakeHandle>): unknown[] {
  const free = (pool as unknown as { free: FreeListsInside }).free;
  const out: unknown[] = [];
  let count = 0;
  let bytes = 0;
  for (const [source, lists] of free.sources) {
    for (const [capacity, bucket] of lists.buckets) {
      const ids: number[] = [];
      let prev: FakeSlot | null = null;
      for (let s = bucket.head; s !== null; s = s.bucketNext) {
        expect(s.bucketPrev).toBe(prev);
        expect(s.bucket).toBe(bucket);
        expect(s.handle.destroyed).toBe(false);
        ids.push(s.handle.id);
        if (ids.length > 1e5) throw new Error("a cycle in a free list");
        prev = s;
        count++;
        bytes += s.capacity;
      }
      expect(bucket.stagedHead).toBe(null);
      // An empty list is left when its class was first asked for: nothing to compare.
      if (ids.length > 0) out.push([source, capacity, ids]);
    }
  }
  expect(count).toBe(free.count);
  expect(bytes).toBe(free.bytes);
  if (free.keepLru) {
    const ids: number[] = [];
    let prev: FakeSlot | null = null;
    for (let s = free.lru.oldest; s !== null; s = s.lruNext) {
      expect(s.lruPrev).toBe(prev);
      ids.push(s.handle.id);
      if (ids.length > 1e5) throw new Error("a cycle in the eviction order");
      prev = s;
    }
    expect(free.lru.newest).toBe(prev);
    expect(ids).toHaveLength(count);
    out.push(["eviction order", ids]);
  }
  return out;
}
