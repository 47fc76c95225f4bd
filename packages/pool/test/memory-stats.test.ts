// Process-wide memory figures and limits: sums over every live pool and direct allocation.
import { afterEach, describe, expect, it } from "vitest";
import {
  bucketSize,
  clearCache,
  DType,
  getActiveMemory,
  getCacheMemory,
  getPeakMemory,
  type MlxBuffer,
  MlxBufferPool,
  memoryStats,
  memorySummary,
  resetPeakMemory,
  setCacheLimit,
  setMemoryLimit,
} from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";

const open = devicesDisposedAfterEach();
const pools: MlxBufferPool[] = [];
function newPool(options = {}): MlxBufferPool {
  const pool = new MlxBufferPool(options);
  pools.push(pool);
  return pool;
}
afterEach(() => {
  for (const p of pools.splice(0)) p.dispose();
  setCacheLimit(Number.MAX_SAFE_INTEGER);
  setMemoryLimit(Number.MAX_SAFE_INTEGER);
  resetPeakMemory();
});

const u8 = (pool: MlxBufferPool, device: ReturnType<typeof open>, n: number): MlxBuffer =>
  pool.alloc(device, n, DType.U8, [n]);

describe("process-wide figures", () => {
  it("start at zero with nothing alive", () => {
    expect(memoryStats()).toMatchObject({
      activeBytes: 0,
      cacheBytes: 0,
      reservedBytes: 0,
      activeCount: 0,
      cacheCount: 0,
      pools: 0,
    });
  });

  it("sum every live pool and direct allocation, in requested bytes for active", () => {
    const dev = open();
    const a = newPool();
    const b = newPool();
    u8(a, dev, 100);
    const rb = u8(b, dev, 3000);
    const direct = dev.allocBuffer(50, DType.U8, [50]);
    expect(getActiveMemory()).toBe(100 + 3000 + 50);
    b.release(rb);
    expect(getActiveMemory()).toBe(150);
    expect(getCacheMemory()).toBe(bucketSize(3000));
    const s = memoryStats();
    expect(s).toMatchObject({
      activeBytes: 150,
      cacheBytes: 4096,
      reservedBytes: 128 + 4096 + 50,
      activeCount: 2,
      cacheCount: 1,
      pools: 2,
      directBytes: 50,
      directCount: 1,
    });
    direct.dispose();
    expect(memoryStats()).toMatchObject({ activeBytes: 100, directBytes: 0, directCount: 0 });
    a.dispose();
    b.dispose();
    expect(memoryStats()).toMatchObject({ activeBytes: 0, reservedBytes: 0, pools: 0 });
  });

  it("peak is the highest active; resetPeakMemory sets it to the current active", () => {
    const dev = open();
    const pool = newPool();
    const big = u8(pool, dev, 1000);
    u8(pool, dev, 24);
    pool.release(big);
    expect(getActiveMemory()).toBe(24);
    expect(getPeakMemory()).toBe(1024);
    resetPeakMemory();
    expect(getPeakMemory()).toBe(24);
    expect(pool.stats().peakInUseBytes).toBe(24);
    const d = dev.allocBuffer(10, DType.U8, [10]);
    d.dispose();
    expect(getPeakMemory()).toBe(34);
    expect(getPeakMemory(dev)).toBe(34);
    resetPeakMemory();
    expect(getPeakMemory(dev)).toBe(24);
  });

  it("narrow to one device, walking a pool that allocated from several", () => {
    const one = open({ residency: false });
    const two = open({ residency: false });
    const shared = newPool();
    const onlyOne = newPool();
    u8(shared, one, 100);
    const freed = u8(shared, two, 200);
    shared.release(freed);
    u8(shared, two, 8);
    u8(onlyOne, one, 1000);
    two.allocBuffer(5, DType.U8, [5]);
    expect(memoryStats(one)).toMatchObject({
      activeBytes: 1100,
      activeCount: 2,
      cacheBytes: 0,
      reservedBytes: 128 + 1024,
      pools: 2,
    });
    expect(memoryStats(two)).toMatchObject({
      activeBytes: 8 + 5,
      activeCount: 2,
      cacheBytes: 256,
      cacheCount: 1,
      reservedBytes: 256 + 8 + 5,
      directBytes: 5,
      pools: 1,
    });
    expect(getActiveMemory()).toBe(1100 + 13);
  });

  it("count fenced buffers as pending until the fence settles", async () => {
    const dev = open();
    const pool = newPool();
    const b = u8(pool, dev, 64);
    let settle: () => void = () => {};
    const fence = new Promise<void>((resolve) => {
      settle = resolve;
    });
    pool.release(b, { after: fence });
    expect(memoryStats()).toMatchObject({ pendingBytes: 64, cacheBytes: 0, activeBytes: 0 });
    expect(memoryStats(dev).pendingBytes).toBe(64);
    settle();
    await fence;
    await Promise.resolve();
    expect(memoryStats()).toMatchObject({ pendingBytes: 0, cacheBytes: 64 });
  });

  it("count buffers of a fenced reset as pending and reserved until the fence settles", async () => {
    const dev = open();
    const pool = newPool();
    u8(pool, dev, 64);
    u8(pool, dev, 200);
    let settle: () => void = () => {};
    const fence = new Promise<void>((resolve) => {
      settle = resolve;
    });
    pool.reset({ after: fence });
    expect(memoryStats(dev)).toMatchObject({
      pendingBytes: 64 + 256,
      reservedBytes: 64 + 256,
      activeBytes: 0,
      cacheBytes: 0,
    });
    settle();
    await fence;
    await Promise.resolve();
    expect(memoryStats(dev)).toMatchObject({
      pendingBytes: 0,
      reservedBytes: 320,
      cacheBytes: 320,
    });
  });

  it("refuse a device argument that is not a device", () => {
    for (const bad of [null, 0, {}, "host"]) {
      const e = expectMlxError(() => memoryStats(bad as never), "INVALID_ARGUMENT");
      expect(e.message).toContain("memoryStats");
      expectMlxError(() => getActiveMemory(bad as never), "INVALID_ARGUMENT");
    }
  });
});

describe("setCacheLimit", () => {
  it("returns the previous limit, MAX_SAFE_INTEGER when none was set", () => {
    expect(setCacheLimit(1 << 20)).toBe(Number.MAX_SAFE_INTEGER);
    expect(setCacheLimit(Number.POSITIVE_INFINITY)).toBe(1 << 20);
    expect(setCacheLimit(5)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("is enforced at once across pools, the pool that took buffers back least recently first", () => {
    const dev = open();
    const older = newPool();
    const newer = newPool();
    setCacheLimit(Number.MAX_SAFE_INTEGER);
    older.alloc(dev, 1024, DType.U8, [1024]);
    older.reset();
    newer.alloc(dev, 1024, DType.U8, [1024]);
    newer.reset();
    expect(getCacheMemory()).toBe(2048);
    setCacheLimit(1500);
    expect(getCacheMemory()).toBe(1024);
    // Neither pool had returned buffers under a limit: both tie, and one of them was trimmed.
    expect(older.freeBytes() + newer.freeBytes()).toBe(1024);
  });

  it("is enforced after every later release and reset, evicting the least recent pool", () => {
    const dev = open();
    const a = newPool();
    const b = newPool();
    setCacheLimit(3000);
    u8(a, dev, 2048);
    a.reset();
    expect(a.freeBytes()).toBe(2048);
    const rb = u8(b, dev, 2048);
    b.release(rb);
    // 4096 free > 3000: a returned least recently, so a's buffer goes.
    expect(a.freeBytes()).toBe(0);
    expect(b.freeBytes()).toBe(2048);
    expect(a.stats().evictions).toBe(1);
    u8(b, dev, 1024);
    b.reset();
    // b alone now holds 3072 > 3000 free: its own buffers go.
    expect(getCacheMemory()).toBeLessThanOrEqual(3000);
  });

  it("evicts within a pool least recently freed first when the pool keeps that order", () => {
    const dev = open();
    const pool = newPool({ maxFreeBytes: 1 << 30 });
    const first = u8(pool, dev, 64);
    const second = u8(pool, dev, 128);
    pool.release(first);
    pool.release(second);
    setCacheLimit(150);
    expect(pool.freeBytes()).toBe(128);
    // The 64-byte buffer (freed first) went: another 64 is a fresh allocation, 128 a hit.
    u8(pool, dev, 64);
    u8(pool, dev, 128);
    expect(pool.stats()).toMatchObject({ misses: 3, hits: 1, evictions: 1 });
  });

  it("is enforced when fenced buffers join the cache", async () => {
    const dev = open();
    const pool = newPool();
    setCacheLimit(100);
    const b = u8(pool, dev, 512);
    const fence = Promise.resolve();
    pool.release(b, { after: fence });
    expect(memoryStats().pendingBytes).toBe(512);
    await fence;
    await new Promise((r) => setTimeout(r, 0));
    expect(memoryStats()).toMatchObject({ pendingBytes: 0, cacheBytes: 0, reservedBytes: 0 });
    expect(pool.stats().evictions).toBe(1);
  });

  it("refuses bad limits and changes nothing", () => {
    setCacheLimit(1000);
    for (const bad of [-1, 1.5, Number.NaN, "10", null, 2 ** 60]) {
      const e = expectMlxError(() => setCacheLimit(bad as never), "INVALID_ARGUMENT");
      expect(e.message).toContain("setCacheLimit");
    }
    expect(setCacheLimit(Number.MAX_SAFE_INTEGER)).toBe(1000);
  });
});

describe("setMemoryLimit", () => {
  it("returns the previous limit", () => {
    expect(setMemoryLimit(4096)).toBe(Number.MAX_SAFE_INTEGER);
    expect(setMemoryLimit(Number.MAX_SAFE_INTEGER)).toBe(4096);
  });

  it("refuses a fresh allocation that would pass it, changing nothing; hits still served", () => {
    const dev = open();
    const a = newPool();
    const b = newPool();
    const ra = u8(a, dev, 1024);
    a.release(ra);
    u8(b, dev, 1024);
    setMemoryLimit(3000);
    const beforeA = a.stats();
    const beforeAll = memoryStats();
    const e = expectMlxError(() => u8(a, dev, 2000), "MEMORY_LIMIT");
    expect(e.message).toContain("setMemoryLimit(3000)");
    expect(a.stats()).toEqual(beforeA);
    expect(memoryStats()).toEqual(beforeAll);
    expectMlxError(() => dev.allocBuffer(2000, DType.U8, [2000]), "MEMORY_LIMIT");
    expectMlxError(
      () =>
        a.allocBatch(dev, [
          [900, DType.U8, [900]],
          [2000, DType.U8, [2000]],
        ]),
      "MEMORY_LIMIT",
    );
    expect(a.stats()).toEqual(beforeA);
    expect(memoryStats()).toEqual(beforeAll);
    // A hit needs no fresh memory.
    expect(u8(a, dev, 1000).capacity).toBe(1024);
    expect(dev.allocBuffer(900, DType.U8, [900]).byteLength).toBe(900);
    clearCache();
    setMemoryLimit(Number.MAX_SAFE_INTEGER);
    expect(u8(a, dev, 2000).capacity).toBe(2048);
  });

  it("refuses bad limits", () => {
    for (const bad of [-5, 0.5, undefined, {}]) {
      expectMlxError(() => setMemoryLimit(bad as never), "INVALID_ARGUMENT");
    }
    expect(setMemoryLimit(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("clearCache and memorySummary", () => {
  it("clearCache frees every pool's free buffers", () => {
    const dev = open();
    const a = newPool();
    const b = newPool();
    u8(a, dev, 64);
    a.reset();
    const keep = u8(b, dev, 256);
    u8(b, dev, 32);
    b.release(keep);
    clearCache();
    expect(memoryStats()).toMatchObject({ cacheBytes: 0, cacheCount: 0, activeBytes: 32 });
    expect(a.freeCount() + b.freeCount()).toBe(0);
  });

  it("memorySummary is a table with the figures in binary units", () => {
    const dev = open();
    const pool = newPool();
    u8(pool, dev, 3 << 20);
    u8(pool, dev, 1000);
    pool.release(u8(pool, dev, 512));
    setCacheLimit(1 << 30);
    const text = memorySummary();
    expect(text.split("\n")[0]).toBe("mlx memory summary: every pool and device, 1 pool");
    expect(text).toMatch(/\| active \(allocated\) +\| +3\.00 MiB \| 2 buffers/);
    expect(text).toMatch(/\| cache \(free in pools\) +\| +512 B \| 1 buffer$/m);
    expect(text).toMatch(/\| cache limit +\| +1\.00 GiB \| setCacheLimit/);
    expect(text).toMatch(/\| memory limit +\| +none \| setMemoryLimit/);
    expect(memorySummary(dev).split("\n")[0]).toBe(
      `mlx memory summary: device ${dev.name}, 1 pool`,
    );
  });
});
