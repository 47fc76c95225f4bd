// policy "arena": buffers are ranges of slabs; every safety property of the pool holds inside them.
import { liveNativeBuffers } from "@mlx/metal-native";
import { describe, expect, it } from "vitest";
import { DType, type MlxBuffer, MlxBufferPool } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError, manualFence, settle } from "./helpers.js";

const device = devicesDisposedAfterEach();
const u8 = (pool: MlxBufferPool, dev: ReturnType<typeof device>, n: number): MlxBuffer =>
  pool.alloc(dev, n, DType.U8, [n]);

describe('policy "arena": leases inside a slab', () => {
  it("nativeHandle is the slab's, gpuAddress the lease's first byte, both stale after the lease", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    const a = u8(pool, dev, 1000);
    const b = u8(pool, dev, 5000);
    expect(a.nativeHandle).toBe(b.nativeHandle);
    expect(b.byteOffset).toBeGreaterThan(a.byteOffset);
    if (a.gpuAddress !== 0n)
      expect(b.gpuAddress - a.gpuAddress).toBe(BigInt(b.byteOffset - a.byteOffset));
    pool.reset();
    expectMlxError(() => a.nativeHandle, "STALE_BUFFER");
    expectMlxError(() => b.gpuAddress, "STALE_BUFFER");
    pool.dispose();
  });

  it("byteOffset, address and views name exactly the lease's range of its slab", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    const a = u8(pool, dev, 1000);
    const b = pool.alloc(dev, 100_000, DType.F32, [25_000]);
    expect(pool.policy.name).toBe("arena");
    expect(a.nativeAllocation).toBe(b.nativeAllocation); // one slab
    expect(a.byteOffset % 256).toBe(0);
    expect(b.byteOffset % 256).toBe(0);
    expect(b.address - a.address).toBe(BigInt(b.byteOffset - a.byteOffset));
    expect(a.address).toBe(a.nativeAllocation.address + BigInt(a.byteOffset));
    expect(a.capacity).toBe(1024);
    expect(b.capacity).toBe(100_096);
    const bytes = a.bytes();
    expect(bytes.byteLength).toBe(1000);
    expect(bytes.byteOffset).toBe(a.byteOffset);
    expect(b.typed()).toBeInstanceOf(Float32Array);
    expect(b.typed().length).toBe(25_000);
    expect(b.typed().byteOffset).toBe(b.byteOffset);
    // Writes through one lease never show in the other; read/write copy at the lease's offset.
    bytes.fill(0x11);
    expect(b.bytes().every((x) => x === 0)).toBe(true);
    b.write(new Uint8Array([1, 2, 3]), 4);
    expect([...b.bytes().subarray(4, 7)]).toEqual([1, 2, 3]);
    expect([...b.read(4, 3)]).toEqual([1, 2, 3]);
    expect([...a.read(0, 2)]).toEqual([0x11, 0x11]);
    expect(pool.stats()).toMatchObject({ heldCount: 1, heldBytes: 1 << 20, inUseCount: 2 });
    pool.dispose();
  });

  it("memory never handed out reads as zero; recycled memory is not re-zeroed, and stats say which", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    const a = u8(pool, dev, 4096);
    expect(a.bytes().every((x) => x === 0)).toBe(true);
    a.bytes().fill(0x7e);
    const offset = a.byteOffset;
    pool.release(a);
    const b = u8(pool, dev, 4000);
    expect(b.byteOffset).toBe(offset);
    expect(b.bytes()[0]).toBe(0x7e);
    expect(pool.stats().arena).toMatchObject({
      freshAllocations: 1,
      recycledAllocations: 1,
      zeroing: "fresh-only",
      slabCount: 1,
    });
    pool.dispose();
  });

  it("poison fills a recycled range, and only that range", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena", poison: 0xcd });
    const a = u8(pool, dev, 512);
    const keep = u8(pool, dev, 512);
    pool.release(a);
    const again = u8(pool, dev, 512);
    expect(again.byteOffset).toBe(a.byteOffset);
    expect(again.bytes().every((x) => x === 0xcd)).toBe(true);
    expect(keep.bytes().every((x) => x === 0)).toBe(true);
    pool.dispose();
  });

  it("stale leases throw after release, reset and dispose; a second release changes nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    const a = u8(pool, dev, 300);
    pool.release(a);
    expect(a.stale).toBe(true);
    expectMlxError(() => a.bytes(), "STALE_BUFFER");
    const before = pool.stats();
    expectMlxError(() => pool.release(a), "STALE_BUFFER");
    expect(pool.stats()).toEqual(before);
    const b = u8(pool, dev, 300);
    expect(b.byteOffset).toBe(a.byteOffset); // the same range, a new lease
    expect(a.stale).toBe(true);
    pool.reset();
    expect(b.stale).toBe(true);
    expectMlxError(() => b.typed(), "STALE_BUFFER");
    const c = u8(pool, dev, 70_000);
    pool.dispose();
    expect(c.stale).toBe(true);
    expectMlxError(() => c.read(), "STALE_BUFFER");
  });

  it("a buffer of another pool, pow2 or arena, is refused and changes nothing", () => {
    const dev = device();
    const arena = new MlxBufferPool({ policy: "arena" });
    const other = new MlxBufferPool({ policy: "arena" });
    const pow2 = new MlxBufferPool();
    const mine = u8(arena, dev, 100);
    const foreign = u8(other, dev, 100);
    const plain = u8(pow2, dev, 100);
    const before = arena.stats();
    expectMlxError(() => arena.release(foreign), "INVALID_ARGUMENT");
    expectMlxError(() => arena.release(plain), "INVALID_ARGUMENT");
    expect(arena.stats()).toEqual(before);
    arena.release(mine);
    for (const p of [arena, other, pow2]) p.dispose();
  });

  it("a fence keeps a range out of circulation until it settles", async () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    const a = u8(pool, dev, 8192);
    const fence = manualFence();
    pool.release(a, { after: fence.promise });
    expect(a.stale).toBe(true);
    expect(pool.stats()).toMatchObject({ pendingCount: 1, pendingBytes: 8192, inUseCount: 0 });
    const b = u8(pool, dev, 8192);
    expect(b.byteOffset).not.toBe(a.byteOffset);
    fence.resolve();
    await settle();
    expect(pool.stats().pendingCount).toBe(0);
    expect(u8(pool, dev, 8192).byteOffset).toBe(a.byteOffset);
    pool.dispose();
  });

  it("a fenced reset protects every range; a rejected fence quarantines until clear", async () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    const big = u8(pool, dev, 200_000);
    u8(pool, dev, 100);
    const fence = manualFence();
    pool.reset({ after: fence.promise });
    expect(big.stale).toBe(true);
    const next = u8(pool, dev, 200_000);
    const [lo, hi] = [big.byteOffset, big.byteOffset + big.capacity];
    expect(next.byteOffset + next.capacity <= lo || next.byteOffset >= hi).toBe(true);
    pool.release(next);
    fence.reject(new Error("command buffer error"));
    await settle();
    expect(pool.stats()).toMatchObject({ quarantinedCount: 2, pendingCount: 0 });
    const again = u8(pool, dev, 200_000);
    expect(again.byteOffset + again.capacity <= lo || again.byteOffset >= hi).toBe(true);
    pool.release(again);
    pool.clear();
    expect(pool.stats()).toMatchObject({ quarantinedCount: 0, heldBytes: 0, heldCount: 0 });
    pool.dispose();
  });

  it("dispose never frees a slab a pending fence protects; it frees it once the fence settles", async () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    const a = u8(pool, dev, 4096);
    const view = a.bytes();
    const fence = manualFence();
    pool.release(a, { after: fence.promise });
    pool.dispose();
    expect(view.byteLength).toBe(4096); // still allocated: the GPU may still be using it
    fence.resolve();
    await settle();
    expect(view.byteLength).toBe(0); // the slab is freed and its view detached
  });

  it("clear frees entirely free slabs now and keeps slabs with live ranges", () => {
    const dev = device();
    const before = liveNativeBuffers().count;
    const pool = new MlxBufferPool({ policy: "arena", arena: { minSlabBytes: 65_536 } });
    const keep = u8(pool, dev, 100);
    const views = [100_000, 200_000, 300_000].map((n) => u8(pool, dev, n).bytes());
    const held = pool.stats().heldCount;
    expect(held).toBeGreaterThan(1);
    expect(liveNativeBuffers().count - before).toBe(held);
    for (const b of views) expect(b.byteLength).toBeGreaterThan(0);
    pool.reset();
    const kept = u8(pool, dev, 100);
    expect(kept.byteOffset).toBe(keep.byteOffset);
    pool.clear();
    expect(pool.stats().heldCount).toBe(1);
    expect(liveNativeBuffers().count - before).toBe(1);
    pool.dispose();
    expect(liveNativeBuffers().count).toBe(before);
    expect(pool.stats()).toMatchObject({ heldBytes: 0, heldCount: 0 });
  });

  it("limits count slab bytes: maxHeldBytes refuses a slab, changing nothing; maxBuffers counts leases", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena", maxHeldBytes: 2 << 20 });
    const a = u8(pool, dev, 1 << 20);
    expect(pool.stats().heldBytes).toBeLessThanOrEqual(2 << 20);
    const before = pool.stats();
    const error = expectMlxError(() => u8(pool, dev, 3 << 20), "MEMORY_LIMIT");
    expect(error.message).toMatch(/maxHeldBytes/);
    expect(pool.stats()).toEqual(before);
    expect(a.stale).toBe(false);
    pool.dispose();
    const counted = new MlxBufferPool({ policy: "arena", maxBuffers: 3 });
    for (let i = 0; i < 3; i++) u8(counted, dev, 64);
    const full = counted.stats();
    expect(expectMlxError(() => u8(counted, dev, 64), "MEMORY_LIMIT").message).toMatch(
      /maxBuffers 3.*reset\(\)/,
    );
    expect(counted.stats()).toEqual(full);
    counted.reset();
    u8(counted, dev, 64);
    counted.dispose();
  });

  it("maxFreeBytes frees entirely free slabs once free bytes pass it", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena", maxFreeBytes: 0 });
    u8(pool, dev, 5 << 20);
    pool.reset();
    expect(pool.stats()).toMatchObject({ heldBytes: 0, evictions: 1 });
    pool.dispose();
  });

  it("allocBatch makes one residency commit and undoes the whole batch on failure", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena", maxHeldBytes: 4 << 20 });
    const commits = pool.stats().residencyCommits;
    const batch = pool.allocBatch(dev, [
      [1000, DType.U8, [1000]],
      [50_000, DType.U8, [50_000]],
      [3 << 20, DType.U8, [3 << 20]],
    ]);
    expect(batch.map((b) => b.byteLength)).toEqual([1000, 50_000, 3 << 20]);
    expect(pool.stats().heldCount).toBe(2); // the 3 MiB range needs a slab of its own
    expect(pool.stats().residencyCommits - commits).toBe(dev.residencySetsEnabled ? 1 : 0);
    const before = pool.stats();
    expectMlxError(
      () =>
        pool.allocBatch(dev, [
          [1000, DType.U8, [1000]],
          [3 << 20, DType.U8, [3 << 20]],
        ]),
      "MEMORY_LIMIT",
    );
    expect(pool.stats().inUseCount).toBe(before.inUseCount);
    expect(pool.stats().hits).toBe(before.hits);
    for (const b of batch) expect(b.stale).toBe(false);
    pool.dispose();
  });

  it("residency is per slab: one entry for many buffers", () => {
    const dev = device();
    if (!dev.residencySetsEnabled) {
      console.log(`skipped: residency is off on the ${dev.backend} backend here`);
      return;
    }
    const before = dev.residencyStats().allocationCount;
    const pool = new MlxBufferPool({ policy: "arena" });
    for (let i = 0; i < 200; i++) u8(pool, dev, 256 + i);
    expect(dev.residencyStats().allocationCount - before).toBe(pool.stats().heldCount);
    expect(pool.stats().heldCount).toBe(1);
    pool.dispose();
    expect(dev.residencyStats().allocationCount).toBe(before);
  });

  it("bad arena options are INVALID_ARGUMENT naming the value", () => {
    expect(
      expectMlxError(() => new MlxBufferPool({ arena: { alignment: 512 } }), "INVALID_ARGUMENT")
        .message,
    ).toMatch(/needs policy "arena"/);
    expect(
      expectMlxError(
        () => new MlxBufferPool({ policy: "arena", arena: { alignment: 3 } }),
        "INVALID_ARGUMENT",
      ).message,
    ).toMatch(/alignment.*3/);
    expect(
      expectMlxError(
        () => new MlxBufferPool({ policy: "arena", arena: { slabs: 2 } as never }),
        "INVALID_ARGUMENT",
      ).message,
    ).toMatch(/unknown arena option "slabs"/);
    expect(
      expectMlxError(
        () => new MlxBufferPool({ policy: "arena", reuseLargerRatio: 2 }),
        "INVALID_ARGUMENT",
      ).message,
    ).toMatch(/reuseLargerRatio.*2/);
  });

  it("alignment moves every offset to its multiple", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena", arena: { alignment: 4096 } });
    for (const n of [1, 300, 5000, 20_000]) expect(u8(pool, dev, n).byteOffset % 4096).toBe(0);
    pool.dispose();
  });
});
