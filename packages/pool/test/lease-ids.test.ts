// Leases by number (LeaseIds): the same leases as MlxBuffer handles, named by ids that are
// issued once in the life of the process, checked on every use.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DType, MlxBufferPool } from "../src/index.js";
import {
  BLOCK_SIZE,
  BlockOwner,
  INDEX_SPAN,
  leaseIdSpace,
  MAX_STAMP,
} from "../src/lease-id-space.js";
import { devicesDisposedAfterEach, expectMlxError, manualFence, settle } from "./helpers.js";

const device = devicesDisposedAfterEach();

describe("LeaseIds", () => {
  it("leases by number what alloc leases by handle, counted in the same figures", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    expect(pool.leaseIds()).toBe(ids);
    const id = ids.alloc(dev, 1000);
    expect(Number.isSafeInteger(id)).toBe(true);
    expect(ids.isLive(id)).toBe(true);
    expect(ids.byteLength(id)).toBe(1000);
    expect(ids.capacity(id)).toBe(1024);
    expect(ids.byteOffset(id)).toBe(0);
    expect(pool.stats()).toMatchObject({ inUseCount: 1, inUseBytes: 1000, misses: 1 });
    const bytes = ids.bytes(id);
    expect(bytes.length).toBe(1000);
    expect(bytes.every((b) => b === 0)).toBe(true);
    bytes[7] = 42;
    const buffer = ids.buffer(id, DType.U8, [1000]);
    expect(buffer.bytes()[7]).toBe(42);
    expect(ids.nativeHandle(id)).toBe(buffer.nativeHandle);
    expect(ids.gpuAddress(id)).toBe(buffer.gpuAddress);
    expect(buffer.capacity).toBe(1024);
    pool.dispose();
  });

  it("reset ends every lease by id; the memory comes back under a new id", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const a = ids.alloc(dev, 4096);
    const handle = ids.nativeHandle(a);
    pool.reset();
    expect(ids.isLive(a)).toBe(false);
    expectMlxError(() => ids.bytes(a), "STALE_BUFFER");
    expectMlxError(() => ids.nativeHandle(a), "STALE_BUFFER");
    expectMlxError(() => ids.release(a), "STALE_BUFFER");
    const b = ids.alloc(dev, 4096);
    expect(b).not.toBe(a);
    expect(ids.nativeHandle(b)).toBe(handle);
    expect(ids.isLive(a)).toBe(false);
    expect(pool.stats()).toMatchObject({ hits: 1, misses: 1, inUseCount: 1 });
    pool.dispose();
  });

  it("release ends one lease in O(1); a second release is STALE_BUFFER and changes nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const a = ids.alloc(dev, 256);
    const b = ids.alloc(dev, 256);
    ids.release(a);
    expect(ids.isLive(a)).toBe(false);
    expect(ids.isLive(b)).toBe(true);
    const before = pool.stats();
    expectMlxError(() => ids.release(a), "STALE_BUFFER");
    expect(pool.stats()).toEqual(before);
    // The freed entry and slot are reused, under a new id.
    const c = ids.alloc(dev, 256);
    expect(c).not.toBe(a);
    expect(ids.isLive(c)).toBe(true);
    expect(ids.isLive(a)).toBe(false);
    expect(pool.stats()).toMatchObject({ inUseCount: 2, hits: 1 });
    pool.dispose();
  });

  it("a fenced release keeps the memory out of reuse until the fence settles", async () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const a = ids.alloc(dev, 512);
    const handle = ids.nativeHandle(a);
    const fence = manualFence();
    ids.release(a, { after: fence.promise });
    expect(ids.isLive(a)).toBe(false);
    expect(pool.stats()).toMatchObject({ pendingCount: 1, inUseCount: 0 });
    const b = ids.alloc(dev, 512);
    expect(ids.nativeHandle(b)).not.toBe(handle);
    fence.resolve();
    await settle();
    const c = ids.alloc(dev, 512);
    expect(ids.nativeHandle(c)).toBe(handle);
    pool.dispose();
  });

  it("never issues an id twice, and no old id looks live again (property)", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const issued = new Set<number>();
    const ended: number[] = [];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant("alloc" as const),
              size: fc.integer({ min: 1, max: 5000 }),
            }),
            fc.record({ op: fc.constant("release" as const), pick: fc.nat() }),
            fc.record({ op: fc.constant("reset" as const) }),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const live: number[] = [];
          for (const step of ops) {
            if (step.op === "alloc") {
              const id = ids.alloc(dev, step.size);
              expect(issued.has(id)).toBe(false);
              issued.add(id);
              live.push(id);
            } else if (step.op === "release" && live.length > 0) {
              const [id] = live.splice(step.pick % live.length, 1) as [number];
              ids.release(id);
              ended.push(id);
            } else if (step.op === "reset") {
              pool.reset();
              ended.push(...live.splice(0));
            }
            for (const id of live) expect(ids.isLive(id)).toBe(true);
          }
          for (const id of ended) expect(ids.isLive(id)).toBe(false);
          expect(pool.inUseCount()).toBe(live.length);
          pool.reset();
          ended.push(...live.splice(0));
        },
      ),
      { numRuns: 60 },
    );
    pool.dispose();
  });

  it("bad input is an MlxError naming the value and leaves the pool as it was", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const other = new MlxBufferPool();
    const ids = pool.leaseIds();
    const live = ids.alloc(dev, 64);
    const foreign = other.leaseIds().alloc(dev, 64);
    const before = pool.stats();
    for (const n of [0, -1, 1.5, Number.NaN, "64"]) {
      const error = expectMlxError(() => ids.alloc(dev, n as number), "INVALID_ARGUMENT");
      expect(error.message).toContain(String(n));
    }
    expectMlxError(() => ids.alloc({} as never, 64), "INVALID_ARGUMENT");
    for (const bad of ["1", 1.5, -1, Number.NaN, 2 ** 53, {}, null, 12]) {
      expectMlxError(() => ids.release(bad as number), "INVALID_ARGUMENT");
      expectMlxError(() => ids.byteLength(bad as number), "INVALID_ARGUMENT");
    }
    expectMlxError(() => ids.isLive("1" as unknown as number), "INVALID_ARGUMENT");
    // Another pool's live id is refused here and stays live there.
    const error = expectMlxError(() => ids.release(foreign), "INVALID_ARGUMENT");
    expect(error.message).toContain(String(foreign));
    expect(ids.isLive(foreign)).toBe(false);
    expect(other.leaseIds().isLive(foreign)).toBe(true);
    // A bad fence or a shape too large for the lease refuse and change nothing.
    expectMlxError(() => ids.release(live, { after: 5 as never }), "INVALID_ARGUMENT");
    expectMlxError(() => ids.buffer(live, DType.F32, [17]), "INVALID_ARGUMENT");
    expect(ids.isLive(live)).toBe(true);
    expect(pool.stats()).toEqual(before);
    pool.dispose();
    other.dispose();
  });

  it("a full id space is MEMORY_LIMIT and changes nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const warm = ids.alloc(dev, 64);
    pool.reset();
    // Every other block of the process taken by one holder, as if by other pools.
    const hog = new BlockOwner();
    let full: unknown;
    try {
      for (;;) leaseIdSpace.takeBlock(hog);
    } catch (error) {
      full = error;
    }
    try {
      expect((full as { code?: string }).code).toBe("MEMORY_LIMIT");
      // This pool's block still serves after a reset ...
      for (let i = 0; i < BLOCK_SIZE; i++) ids.alloc(dev, 64);
      const before = pool.stats();
      // ... and one lease more needs a block there is not.
      const error = expectMlxError(() => ids.alloc(dev, 64), "MEMORY_LIMIT");
      expect(error.message).toContain(String(INDEX_SPAN));
      expect(pool.stats()).toEqual(before);
      expect(ids.isLive(warm)).toBe(false);
    } finally {
      leaseIdSpace.releaseBlocks(hog);
    }
    expect(ids.isLive(ids.alloc(dev, 64))).toBe(true);
    pool.dispose();
  });

  it("an MlxBuffer of a lease is the same lease: ending it ends the id", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const id = ids.alloc(dev, 64);
    const buffer = ids.buffer(id, DType.F32, [16]);
    expect(buffer.typed().length).toBe(16);
    buffer.dispose();
    expect(ids.isLive(id)).toBe(false);
    expectMlxError(() => ids.release(id), "STALE_BUFFER");
    expect(pool.inUseCount()).toBe(0);
    pool.dispose();
  });

  it("entries of leases ended by handle are reclaimed without a reset", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const owner = (pool as unknown as { resources: { leaseIdBlocks: { blocks: number[] } } })
      .resources.leaseIdBlocks;
    for (let i = 0; i < 20 * BLOCK_SIZE; i++)
      ids.buffer(ids.alloc(dev, 32), DType.U8, [32]).dispose();
    // Without reclaiming, 20 blocks; each block's dead entries serve the next.
    expect(owner.blocks.length).toBeLessThanOrEqual(2);
    expect(pool.inUseCount()).toBe(0);
    pool.dispose();
  });

  it("dispose ends every lease and gives the entries back; the ids stay dead", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const id = ids.alloc(dev, 64);
    const owner = (pool as unknown as { resources: { leaseIdBlocks: { blocks: number[] } } })
      .resources.leaseIdBlocks;
    expect(owner.blocks.length).toBe(1);
    pool.dispose();
    expect(owner.blocks.length).toBe(0);
    expect(ids.isLive(id)).toBe(false);
    const stale = expectMlxError(() => ids.bytes(id), "STALE_BUFFER");
    expect(stale.message).toContain("disposed");
    expectMlxError(() => ids.alloc(dev, 64), "DISPOSED");
    expectMlxError(() => ids.release(id), "DISPOSED");
    expectMlxError(() => pool.leaseIds(), "DISPOSED");
    // A new pool gets the block back; the old id names nothing live there either.
    const next = new MlxBufferPool();
    const fresh = next.leaseIds().alloc(dev, 64);
    expect(fresh).not.toBe(id);
    expect(next.leaseIds().isLive(id)).toBe(false);
    next.dispose();
  });

  it("an entry that issued its last id is passed over for good", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const first = ids.alloc(dev, 64);
    const index = first % INDEX_SPAN;
    pool.reset();
    leaseIdSpace.stamps[index] = MAX_STAMP;
    const next = ids.alloc(dev, 64);
    expect(next % INDEX_SPAN).not.toBe(index);
    expect(Number.isSafeInteger(next)).toBe(true);
    pool.reset();
    // Still passed over after the next reset.
    expect(ids.alloc(dev, 64) % INDEX_SPAN).not.toBe(index);
    expect(leaseIdSpace.stamps[index]).toBe(MAX_STAMP);
    pool.dispose();
  });

  it("strictViews: a lease's view by id is detached when the lease ends", () => {
    const dev = device();
    const pool = new MlxBufferPool({ strictViews: true });
    const ids = pool.leaseIds();
    const id = ids.alloc(dev, 100);
    const view = ids.bytes(id);
    expect(view.length).toBe(100);
    pool.reset();
    expect(view.length).toBe(0);
    const other = ids.alloc(dev, 100);
    const otherView = ids.bytes(other);
    ids.release(other);
    expect(otherView.length).toBe(0);
    pool.dispose();
  });

  it("the arena policy: ids name ranges of a slab", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    const ids = pool.leaseIds();
    const a = ids.alloc(dev, 100);
    const b = ids.alloc(dev, 100);
    expect(ids.nativeHandle(a)).toBe(ids.nativeHandle(b));
    expect(ids.byteOffset(a)).not.toBe(ids.byteOffset(b));
    ids.bytes(b).fill(9);
    expect(ids.bytes(a).every((x) => x === 0)).toBe(true);
    ids.release(a);
    expect(ids.isLive(b)).toBe(true);
    pool.reset();
    expect(ids.isLive(b)).toBe(false);
    pool.dispose();
  });

  it("refuses to be re-entered from an allocBatch request", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const request: unknown[] = [8, DType.U8, [8]];
    Object.defineProperty(request, 2, {
      get() {
        ids.alloc(dev, 8);
        return [8];
      },
    });
    expectMlxError(() => pool.allocBatch(dev, [request as never]), "INVALID_ARGUMENT");
    expect(pool.inUseCount()).toBe(0);
    pool.dispose();
  });

  it("a trace records leases by id like leases by handle", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    pool.startTrace();
    const a = ids.alloc(dev, 10);
    ids.alloc(dev, 20);
    ids.release(a);
    pool.reset();
    expect(pool.stopTrace().steps).toEqual([[["a", 0, 10], ["a", 1, 20], ["f", 0], ["r"]]]);
    pool.dispose();
  });
});
