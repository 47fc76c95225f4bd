// A batch of hits and a fenced reset: the paths that take no copy and record nothing must give
// exactly what their general counterparts give.
import { describe, expect, it } from "vitest";
import { pow2Divisions, type Slot, SlotState } from "../src/index.js";
import { fakePool, flushMicrotasks, manualFence } from "./fake-handles.js";

/** Three free slots of 8 bytes (c freed last) and one of 16; returns them. */
function threeAndOne() {
  const fake = fakePool();
  const { pool } = fake;
  const a = pool.acquire(8);
  const b = pool.acquire(8);
  const c = pool.acquire(8);
  const d = pool.acquire(16);
  pool.reset();
  return { ...fake, a, b, c, d };
}

describe("BucketPool.acquireBatchPrechecked, every request a hit", () => {
  it("takes what a loop of acquire takes, in order, most recently freed first", () => {
    const loop = threeAndOne();
    const expected = [loop.pool.acquire(8), loop.pool.acquire(16), loop.pool.acquire(5)];
    const batch = threeAndOne();
    const slots = batch.pool.acquireBatchPrechecked([8, 16, 5]);
    expect(slots.map((s) => s.handle.id)).toEqual(expected.map((s) => s.handle.id));
    expect(batch.pool.stats()).toEqual(loop.pool.stats());
    expect(batch.allocated).toHaveLength(4);
    expect(slots.every((s) => s.state === SlotState.InUse)).toBe(true);
  });

  it("a class asked for more often than it has free slots goes the general way", () => {
    const { pool, allocated } = threeAndOne();
    const slots = pool.acquireBatchPrechecked([8, 8, 8, 8]);
    expect(allocated).toHaveLength(5);
    expect(new Set(slots).size).toBe(4);
    expect(pool.stats()).toMatchObject({ hits: 3, misses: 5, inUseCount: 4 });
    pool.reset();
    // Four free now: the batch is served from the free lists alone.
    const again = pool.acquireBatchPrechecked([8, 8, 8, 8]);
    expect(allocated).toHaveLength(5);
    expect(new Set(again)).toEqual(new Set(slots));
  });

  it("a finish that throws leaves every list and count as it was", () => {
    const { pool, c } = threeAndOne();
    const before = pool.stats();
    expect(() =>
      pool.acquireBatchPrechecked([8, 16], 0, () => {
        throw new Error("commit failed");
      }),
    ).toThrow("commit failed");
    expect(pool.stats()).toEqual(before);
    expect(pool.acquire(8)).toBe(c);
  });
});

describe("BucketPool.reset({ after })", () => {
  it("its pending slots are visited by forEachSlot until the fence settles", async () => {
    const { pool } = fakePool();
    const a = pool.acquire(8);
    const b = pool.acquire(64);
    const fence = manualFence();
    pool.reset(fence.promise);
    const seen = new Map<Slot<unknown>, SlotState>();
    pool.forEachSlot((slot) => seen.set(slot, slot.state));
    expect(seen).toEqual(
      new Map<Slot<unknown>, SlotState>([
        [a, SlotState.Pending],
        [b, SlotState.Pending],
      ]),
    );
    fence.resolve();
    await flushMicrotasks();
    const states: SlotState[] = [];
    pool.forEachSlot((slot) => states.push(slot.state));
    expect(states).toEqual([SlotState.Free, SlotState.Free]);
  });

  it("steps fenced one after another, several in flight, recycle every slot exactly once", async () => {
    const { pool, allocated } = fakePool();
    const fences = [manualFence(), manualFence(), manualFence()];
    const steps: Slot<unknown>[][] = [];
    for (const fence of fences) {
      steps.push([pool.acquire(8), pool.acquire(32), pool.acquire(8)]);
      pool.reset(fence.promise);
    }
    expect(allocated).toHaveLength(9);
    expect(pool.stats()).toMatchObject({ pendingCount: 9, pendingBytes: 9 * 16, inUseCount: 0 });
    (fences[1] as ReturnType<typeof manualFence>).resolve();
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 6, pendingBytes: 96, freeCount: 3 });
    // The next step reuses the second step's slots only, into the array its fence gave back.
    const next = [pool.acquire(8), pool.acquire(32), pool.acquire(8)];
    expect(new Set(next)).toEqual(new Set(steps[1]));
    expect(pool.inUseLength).toBe(3);
    pool.reset();
    for (const fence of fences) fence.resolve();
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, freeCount: 9, inUseCount: 0 });
    expect(allocated).toHaveLength(9);
    const visited: Slot<unknown>[] = [];
    pool.forEachSlot((slot) => visited.push(slot));
    expect(new Set(visited)).toEqual(new Set(steps.flat()));
    expect(visited).toHaveLength(9);
  });

  it("pending bytes are right whether or not they were read before the fence settled", async () => {
    const { pool } = fakePool();
    pool.acquire(8);
    pool.acquire(100);
    const unread = manualFence();
    pool.reset(unread.promise);
    pool.acquire(8);
    const read = manualFence();
    pool.reset(read.promise);
    expect(pool.stats()).toMatchObject({ pendingCount: 3, pendingBytes: 8 + 128 + 8 });
    const late = manualFence();
    pool.acquire(8);
    pool.reset(late.promise);
    unread.resolve();
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 2, pendingBytes: 16 });
    read.resolve();
    late.resolve();
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({
      pendingCount: 0,
      pendingBytes: 0,
      freeBytes: 8 + 128 + 8 + 8,
    });
  });

  it("a thenable that calls back twice, then rejects, moves its batch once; reused batches stay apart", async () => {
    const { pool } = fakePool();
    const a = pool.acquire(8);
    const twice = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable is the case under test
      then(ok: () => void, fail: (e: unknown) => void) {
        ok();
        ok();
        fail(new Error("late"));
      },
    };
    pool.reset(twice as unknown as PromiseLike<unknown>);
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, freeCount: 1, quarantinedCount: 0 });
    // The settled batch (and its callbacks) serve the next fences: two in flight, settled in
    // reverse order, each moves only its own slots.
    const first = manualFence();
    const second = manualFence();
    expect(pool.acquire(8)).toBe(a);
    pool.reset(first.promise);
    const b = pool.acquire(16);
    pool.reset(second.promise);
    second.reject(new Error("gpu fault"));
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 1, quarantinedCount: 1, freeCount: 0 });
    first.resolve();
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, quarantinedCount: 1, freeCount: 1 });
    expect(pool.acquire(8)).toBe(a);
    expect(pool.acquire(16)).not.toBe(b);
  });

  it("a promise with a then of its own that calls back again later never moves a reused batch", async () => {
    const { pool } = fakePool();
    const fence = Promise.resolve();
    let late: (() => void) | undefined;
    // An own `then` that also keeps the callback (instrumentation wrapping then, say).
    // biome-ignore lint/suspicious/noThenProperty: a promise's own then is the case under test
    Object.defineProperty(fence, "then", {
      value(ok: () => void, fail: () => void) {
        late = ok;
        return Promise.prototype.then.call(fence, ok, fail);
      },
    });
    const a = pool.acquire(100);
    pool.reset(fence);
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, freeCount: 1 });
    const next = manualFence();
    expect(pool.acquire(100)).toBe(a);
    pool.reset(next.promise);
    late?.();
    await flushMicrotasks();
    // The batch that served `fence` now waits on `next`: still pending, not handed out again.
    expect(pool.stats()).toMatchObject({ pendingCount: 1, freeCount: 0 });
    expect(pool.acquire(100)).not.toBe(a);
    next.resolve();
    await flushMicrotasks();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, fenceErrors: 0 });
  });

  it("a fence that throws when resolved refuses reset and release, changing nothing", () => {
    const { pool } = fakePool();
    const a = pool.acquire(8);
    pool.acquire(16);
    const bad = Promise.resolve();
    Object.defineProperty(bad, "constructor", {
      get() {
        throw new Error("boom");
      },
    });
    const before = pool.stats();
    expect(() => pool.reset(bad)).toThrow("boom");
    expect(() => pool.release(a, a.generation, bad)).toThrow("boom");
    expect(pool.stats()).toEqual(before);
    expect(pool.isLive(a, a.generation)).toBe(true);
    pool.reset();
    expect(pool.stats()).toMatchObject({ inUseCount: 0, freeCount: 2, pendingCount: 0 });
  });
});

describe("BucketPool.leaseHitFrom", () => {
  it("misses a length whose class holds no slot, also one past what admitFresh allows", () => {
    const { pool } = fakePool({
      admitFresh: (capacity) => {
        if (capacity > 1024) throw new Error(`capacity ${capacity} is too large`);
      },
    });
    pool.acquire(1024);
    pool.reset();
    expect(() => pool.acquire(2000)).toThrow("too large");
    const before = pool.stats();
    const lists = pool.hitLists();
    expect(lists).not.toBeNull();
    expect(pool.leaseHitFrom(lists as NonNullable<typeof lists>, 2000)).toBeNull();
    expect(pool.stats()).toEqual(before);
    const hit = pool.leaseHitFrom(lists as NonNullable<typeof lists>, 1000);
    expect(hit?.capacity).toBe(1024);
    pool.finishHits(1);
    expect(pool.stats()).toMatchObject({ hits: before.hits + 1, inUseCount: 1, freeCount: 0 });
  });
});

describe("BucketPool.hitLists and leaseHitFrom", () => {
  it("lease the slots acquire would take, in the same order, and miss where it misses", () => {
    const setUp = () => {
      const fake = fakePool();
      for (const n of [8, 8, 100, 4096, 8]) fake.pool.acquire(n);
      fake.pool.reset();
      return fake;
    };
    const sizes = [8, 100, 8, 4096, 8, 8, 5000];
    // The first five are hits (three slots of 8 bytes, one of 100, one of 4096): acquire them.
    const one = setUp();
    const hitsBefore = one.pool.stats().hits;
    const byAcquire = sizes.slice(0, 5).map((n) => one.pool.acquire(n).handle.id);
    expect(one.pool.stats().hits).toBe(hitsBefore + 5);
    const many = setUp();
    const lists = many.pool.hitLists();
    expect(lists).not.toBeNull();
    const byLists = sizes.map(
      (n) => many.pool.leaseHitFrom(lists as NonNullable<typeof lists>, n)?.handle.id ?? null,
    );
    expect(byLists.slice(0, 5)).toEqual(byAcquire);
    expect(byLists.slice(-2)).toEqual([null, null]);
    many.pool.finishHits(5);
    expect(many.pool.stats()).toEqual(one.pool.stats());
  });

  it("has no lists for a source with nothing filed, or a policy without the pow2 index", () => {
    const { pool } = fakePool();
    pool.acquire(8, 0);
    pool.reset();
    expect(pool.hitLists(1)).toBeNull();
    const other = fakePool({ policy: pow2Divisions(4) }).pool;
    other.acquire(8);
    other.reset();
    expect(other.hitLists()).toBeNull();
  });
});
