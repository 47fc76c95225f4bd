import { isMlxError } from "@mlx/errors";
import { describe, expect, it } from "vitest";
import { BufferUsage, type WebGpuBuffer, WebGpuBufferPool } from "../src/index.js";
import { FakeDevice } from "./fake-device.js";

const STORAGE = BufferUsage.STORAGE;
const STORAGE_SRC = BufferUsage.STORAGE | BufferUsage.COPY_SRC;

function setup(limits: Record<string, number> = {}) {
  const fake = new FakeDevice();
  Object.assign(fake.limits, limits);
  return { fake, pool: new WebGpuBufferPool(fake.asGpu(), { policy: "arena" }) };
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

const rangeOf = (b: WebGpuBuffer) => [b.buffer, b.byteOffset, b.byteOffset + b.capacity] as const;

describe('WebGpuBufferPool({ policy: "arena" }) on a fake device', () => {
  it("packs leases into one slab at disjoint, aligned offsets", () => {
    const { fake, pool } = setup();
    const leases = [100, 1000, 20_000, 70_000, 300].map((n) => pool.alloc(n, STORAGE));
    expect(fake.made).toHaveLength(1);
    expect(fake.made[0]?.size).toBe(1 << 20);
    const ranges = leases.map(rangeOf).sort((a, b) => a[1] - b[1]);
    for (const [buffer, start] of ranges) {
      expect(buffer).toBe(fake.made[0]);
      expect(start % 256).toBe(0);
    }
    for (let i = 1; i < ranges.length; i++)
      expect(ranges[i - 1]?.[2]).toBeLessThanOrEqual(ranges[i]?.[1] as number);
    for (const b of leases) expect(b.capacity).toBeGreaterThanOrEqual(b.byteLength);
    expect(pool.stats()).toMatchObject({ policy: "arena", heldCount: 1, inUseCount: 5 });
    pool.dispose();
    expect(fake.made[0]?.destroyed).toBe(true);
  });

  it("binding offsets respect minStorageBufferOffsetAlignment and minUniformBufferOffsetAlignment", () => {
    const cases: Record<string, number>[] = [
      { minStorageBufferOffsetAlignment: 1024 },
      { minUniformBufferOffsetAlignment: 2048 },
    ];
    for (const limits of cases) {
      const { pool } = setup(limits);
      const want = Math.max(...Object.values(limits));
      for (const n of [1, 300, 5000, 40_000])
        expect(pool.alloc(n, STORAGE).byteOffset % want).toBe(0);
      pool.dispose();
    }
  });

  it("never shares a slab between usages", () => {
    const { fake, pool } = setup();
    const a = pool.alloc(1000, STORAGE);
    const b = pool.alloc(1000, STORAGE_SRC);
    expect(a.buffer).not.toBe(b.buffer);
    expect(fake.made.map((m) => m.usage).sort()).toEqual([STORAGE, STORAGE_SRC].sort());
    pool.dispose();
  });

  it("a pow2 lease starts at byteOffset 0", () => {
    const fake = new FakeDevice();
    const pool = new WebGpuBufferPool(fake.asGpu());
    expect(pool.alloc(1000, STORAGE).byteOffset).toBe(0);
    pool.dispose();
  });

  it("stale leases throw; a fence keeps a range out of circulation until it settles", async () => {
    const { pool } = setup();
    const a = pool.alloc(4096, STORAGE);
    const offset = a.byteOffset;
    let resolve!: () => void;
    pool.release(a, { after: new Promise<void>((r) => (resolve = r)) });
    expect(a.stale).toBe(true);
    expectCode(() => a.buffer, "STALE_BUFFER");
    expectCode(() => pool.release(a), "STALE_BUFFER");
    const b = pool.alloc(4096, STORAGE);
    expect(b.byteOffset).not.toBe(offset);
    resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(pool.alloc(4096, STORAGE).byteOffset).toBe(offset);
    pool.reset();
    expect(b.stale).toBe(true);
    pool.dispose();
  });

  it("refuses mappable usages and requests larger than a slab the device accepts", () => {
    const { fake, pool } = setup({ maxBufferSize: (1 << 20) + 100 });
    expectCode(
      () => pool.alloc(64, BufferUsage.MAP_READ | BufferUsage.COPY_DST),
      "INVALID_ARGUMENT",
    );
    expect(
      expectCode(() => pool.alloc((1 << 20) + 50, STORAGE), "INVALID_ARGUMENT").message,
    ).toMatch(/maxBufferSize/);
    expect(fake.made).toHaveLength(0);
    // No slab is larger than maxBufferSize.
    pool.alloc(900_000, STORAGE);
    pool.alloc(900_000, STORAGE);
    for (const m of fake.made) expect(m.size).toBeLessThanOrEqual((1 << 20) + 100);
    pool.dispose();
  });

  it("limits count slab bytes; clear destroys free slabs; dispose destroys every slab", () => {
    const fake = new FakeDevice();
    const pool = new WebGpuBufferPool(fake.asGpu(), { policy: "arena", maxHeldBytes: 3 << 20 });
    const big = pool.alloc(2 << 20, STORAGE);
    const before = pool.stats();
    expectCode(() => pool.alloc(2 << 20, STORAGE), "MEMORY_LIMIT");
    expect(pool.stats()).toEqual(before);
    pool.release(big);
    const small = pool.alloc(100, STORAGE_SRC);
    expect(pool.clear()).toBe(1);
    expect(fake.destroyedCount).toBe(1);
    expect(small.stale).toBe(false);
    pool.dispose();
    expect(fake.destroyedCount).toBe(fake.made.length);
    expect(small.stale).toBe(true);
  });
});
