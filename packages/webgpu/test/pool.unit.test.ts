import { BucketPool } from "@mlx/bucket-pool";
import { isMlxError } from "@mlx/errors";
import { describe, expect, it } from "vitest";
import { BufferUsage, type WebGpuBuffer, WebGpuBufferPool } from "../src/index.js";
import { FakeDevice } from "./fake-device.js";

const STORAGE = BufferUsage.STORAGE;
const STORAGE_SRC = BufferUsage.STORAGE | BufferUsage.COPY_SRC;

function setup(options?: ConstructorParameters<typeof WebGpuBufferPool>[1]) {
  const fake = new FakeDevice();
  return { fake, pool: new WebGpuBufferPool(fake.asGpu(), options) };
}

function expectCode(fn: () => unknown, code: string): Error {
  try {
    fn();
  } catch (error) {
    expect(isMlxError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return error as Error;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe("WebGpuBufferPool on a fake device", () => {
  it("reuses LIFO within (size class, usage) and never across usages", () => {
    const { fake, pool } = setup();
    const a = pool.alloc(1000, STORAGE);
    const b = pool.alloc(1000, STORAGE);
    expect(a.capacity).toBe(1024);
    expect(a.byteLength).toBe(1000);
    const bufA = a.buffer;
    const bufB = b.buffer;
    pool.release(a);
    pool.release(b);
    expect(pool.alloc(600, STORAGE).buffer).toBe(bufB);
    expect(pool.alloc(1024, STORAGE).buffer).toBe(bufA);
    const other = pool.alloc(1000, STORAGE_SRC);
    expect(other.buffer).not.toBe(bufA);
    expect(other.buffer).not.toBe(bufB);
    expect(fake.made.map((m) => [m.size, m.usage])).toEqual([
      [1024, STORAGE],
      [1024, STORAGE],
      [1024, STORAGE_SRC],
    ]);
    const s = pool.stats();
    expect([s.hits, s.misses, s.inUseCount, s.heldCount]).toEqual([2, 3, 3, 3]);
  });

  it("reset makes every lease stale; a stale lease throws STALE_BUFFER and changes nothing", () => {
    const { pool } = setup();
    const a = pool.alloc(64, STORAGE);
    pool.reset();
    expect(a.stale).toBe(true);
    expectCode(() => a.buffer, "STALE_BUFFER");
    const before = pool.stats();
    expectCode(() => pool.release(a), "STALE_BUFFER");
    expect(pool.stats()).toEqual(before);
    const again = pool.alloc(64, STORAGE);
    expect(again.stale).toBe(false);
    pool.release(again);
    expectCode(() => pool.release(again), "STALE_BUFFER");
  });

  it("rejects bad input with INVALID_ARGUMENT, naming the value, and changes nothing", () => {
    const { fake, pool } = setup();
    pool.release(pool.alloc(16, STORAGE));
    const before = pool.stats();
    const bad: [unknown, unknown][] = [
      [0, STORAGE],
      [-1, STORAGE],
      [1.5, STORAGE],
      [Number.NaN, STORAGE],
      ["64", STORAGE],
      [(1 << 28) + 1, STORAGE],
      [64, 0],
      [64, 0x400],
      [64, 1.5],
      [64, "storage"],
      [64, BufferUsage.MAP_READ | BufferUsage.STORAGE],
      [64, BufferUsage.MAP_WRITE | BufferUsage.COPY_DST],
    ];
    for (const [n, usage] of bad) {
      const error = expectCode(() => pool.alloc(n as number, usage as number), "INVALID_ARGUMENT");
      expect(error.message.length).toBeGreaterThan(20);
    }
    expect(expectCode(() => pool.alloc(64, 0x400), "INVALID_ARGUMENT").message).toContain("0x400");
    expect(expectCode(() => pool.alloc(-1, STORAGE), "INVALID_ARGUMENT").message).toContain("-1");
    const other = setup().pool.alloc(16, STORAGE);
    expectCode(() => pool.release(other), "INVALID_ARGUMENT");
    expectCode(() => pool.release({} as WebGpuBuffer), "INVALID_ARGUMENT");
    const live = pool.alloc(16, STORAGE);
    const mid = pool.stats();
    expectCode(() => pool.release(live, { after: 5 as never }), "INVALID_ARGUMENT");
    expectCode(() => pool.release(live, 5 as never), "INVALID_ARGUMENT");
    expectCode(() => pool.reset({ after: {} as never }), "INVALID_ARGUMENT");
    expect(pool.stats()).toEqual(mid);
    expect(live.stale).toBe(false);
    pool.release(live);
    const after = pool.stats();
    expect([after.heldCount, after.freeCount, after.inUseCount, after.misses]).toEqual([
      before.heldCount,
      before.freeCount,
      before.inUseCount,
      before.misses,
    ]);
    expect(fake.made).toHaveLength(1);
  });

  it("rejects bad devices and options", () => {
    expectCode(() => new WebGpuBufferPool({} as GPUDevice), "INVALID_ARGUMENT");
    expectCode(() => new WebGpuBufferPool(null as never), "INVALID_ARGUMENT");
    const fake = new FakeDevice().asGpu();
    expectCode(() => new WebGpuBufferPool(fake, 3 as never), "INVALID_ARGUMENT");
    expectCode(() => new WebGpuBufferPool(fake, { maxBuffers: 0 }), "INVALID_ARGUMENT");
    expectCode(() => new WebGpuBufferPool(fake, { maxFreeBytes: -1 }), "INVALID_ARGUMENT");
    expectCode(() => new WebGpuBufferPool(fake, { policy: "pow3" }), "INVALID_ARGUMENT");
    expectCode(() => new WebGpuBufferPool(fake, { label: 7 as never }), "INVALID_ARGUMENT");
    expect(new WebGpuBufferPool(fake, { policy: "pow2-div4" }).stats().policy).toBe("pow2-div4");
  });

  it("maxBuffers and maxHeldBytes are MEMORY_LIMIT naming the likely cause, changing nothing", () => {
    const { fake, pool } = setup({ maxBuffers: 3 });
    for (let i = 0; i < 3; i++) pool.alloc(100, STORAGE);
    const before = pool.stats();
    const error = expectCode(() => pool.alloc(100, STORAGE), "MEMORY_LIMIT");
    expect(error.message).toContain("reset()");
    expect(error.message).toContain("maxBuffers 3");
    expect(pool.stats()).toEqual(before);
    expect(fake.made).toHaveLength(3);
    pool.reset();
    // Free buffers of another class are evicted to make room rather than failing.
    expect(pool.alloc(5000, STORAGE).capacity).toBe(8192);
    expect(pool.stats().evictions).toBe(1);

    const held = setup({ maxHeldBytes: 4096 });
    held.pool.alloc(4000, STORAGE);
    const e2 = expectCode(() => held.pool.alloc(1, STORAGE), "MEMORY_LIMIT");
    expect(e2.message).toContain("maxHeldBytes 4096");
  });

  it("maxFreeBytes evicts the least recently freed buffers and destroys them", () => {
    const { fake, pool } = setup({ maxFreeBytes: 2048 });
    const leases = [
      pool.alloc(1024, STORAGE),
      pool.alloc(1024, STORAGE_SRC),
      pool.alloc(1024, STORAGE),
    ];
    const first = fake.made[0];
    for (const lease of leases) pool.release(lease);
    expect(pool.stats().freeBytes).toBe(2048);
    expect(pool.stats().evictions).toBe(1);
    expect(first?.destroyed).toBe(true);
    expect(fake.destroyedCount).toBe(1);
  });

  it("clear destroys free buffers now and keeps the ones in use; dispose destroys everything", () => {
    const { fake, pool } = setup();
    const kept = pool.alloc(10, STORAGE);
    pool.release(pool.alloc(10, STORAGE));
    pool.release(pool.alloc(300, STORAGE_SRC));
    expect(pool.clear()).toBe(2);
    expect(fake.destroyedCount).toBe(2);
    expect(kept.buffer).toBe(fake.made[0]);
    expect(pool.stats().heldCount).toBe(1);
    pool[Symbol.dispose]();
    expect(fake.destroyedCount).toBe(3);
    expect(kept.stale).toBe(true);
    expectCode(() => pool.alloc(10, STORAGE), "DISPOSED");
    expectCode(() => pool.reset(), "DISPOSED");
    pool.dispose();
  });

  it("a fenced release keeps the buffer out of circulation until the fence settles", async () => {
    const { fake, pool } = setup();
    const a = pool.alloc(64, STORAGE);
    let settle: () => void = () => {};
    pool.release(a, { after: new Promise<void>((r) => (settle = r)) });
    expect(pool.stats().pendingCount).toBe(1);
    expect(pool.alloc(64, STORAGE).buffer).not.toBe(fake.made[0]);
    settle();
    await Promise.resolve();
    await Promise.resolve();
    expect(pool.stats().pendingCount).toBe(0);
    expect(pool.alloc(64, STORAGE).buffer).toBe(fake.made[0]);
  });

  it("refuses to take back a mapped buffer until unmap, changing nothing", () => {
    const { fake, pool } = setup();
    const readback = pool.alloc(64, BufferUsage.MAP_READ | BufferUsage.COPY_DST);
    const buffer = fake.made[0]!;
    buffer.mapState = "mapped";
    const before = pool.stats();
    expect(expectCode(() => pool.release(readback), "INVALID_ARGUMENT").message).toContain(
      "unmap()",
    );
    expectCode(() => pool.reset(), "INVALID_ARGUMENT");
    expect(pool.stats()).toEqual(before);
    expect(readback.stale).toBe(false);
    buffer.mapState = "unmapped";
    pool.reset();
    expect(readback.stale).toBe(true);
  });

  it("a createBuffer that throws leaves the pool as it was", () => {
    const { fake, pool } = setup();
    const before = pool.stats();
    fake.failNext = new Error("device lost");
    expect(() => pool.alloc(64, STORAGE)).toThrow("device lost");
    expect(pool.stats()).toEqual(before);
    expect(pool.alloc(64, STORAGE).capacity).toBe(64);
  });

  it("caps a class at the device's maxBufferSize", () => {
    const fake = new FakeDevice();
    (fake.limits as { maxBufferSize: number }).maxBufferSize = 3000;
    const pool = new WebGpuBufferPool(fake.asGpu());
    expect(pool.alloc(2500, STORAGE).capacity).toBe(3000);
    expect(pool.alloc(2000, STORAGE).capacity).toBe(2048);
  });

  it("stats() has the fields of @mlx/pool's PoolStats (bucket-pool's, policy, residencyCommits)", () => {
    const core = new BucketPool({ allocate: () => ({}), destroy: () => {} }).stats();
    const { pool } = setup();
    expect(Object.keys(pool.stats()).sort()).toEqual(
      [...Object.keys(core), "policy", "residencyCommits"].sort(),
    );
    expect(pool.stats().policy).toBe("pow2");
  });
});
