// The seed's tests (buffer_pool.rs), ported, on the default backend.
import { describe, expect, it } from "vitest";
import { bucketSize, DType, MlxBufferPool, resetResidencyEnvCache } from "../src/index.js";
import { devicesDisposedAfterEach } from "./helpers.js";

const device = devicesDisposedAfterEach();

describe("seed: bucket sizes", () => {
  it("rounds to powers of two, 0 and 1 to 1", () => {
    expect([0, 1, 2, 3, 4, 5, 1023, 1024, 1025].map(bucketSize)).toEqual([
      1, 1, 2, 4, 4, 8, 1024, 1024, 2048,
    ]);
  });
});

describe("seed: arena reset", () => {
  it("recycles the same memory", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 1000, DType.F32, [250]);
    const b = pool.alloc(dev, 4096, DType.U8, [4096]);
    const addresses = new Set([a.address, b.address]);
    pool.reset();
    const c = pool.alloc(dev, 1024, DType.F32, [256]);
    const d = pool.alloc(dev, 3000, DType.U8, [3000]);
    expect(new Set([c.address, d.address])).toEqual(addresses);
    expect(pool.stats()).toMatchObject({ misses: 2, hits: 2 });
    pool.dispose();
  });

  it("empty resets are idempotent", () => {
    const pool = new MlxBufferPool();
    pool.reset();
    pool.reset();
    expect([pool.freeCount(), pool.freeBytes(), pool.inUseCount()]).toEqual([0, 0, 0]);
  });

  it("per-buffer release still reuses", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 64, DType.U8, [64]);
    const address = a.address;
    pool.release(a);
    expect(pool.inUseCount()).toBe(0);
    expect(pool.freeCount()).toBe(1);
    expect(pool.alloc(dev, 50, DType.U8, [50]).address).toBe(address);
    pool.dispose();
  });
});

describe("seed: registerExisting", () => {
  it("does not recycle on reset, and the buffer stays readable after the pool is disposed", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const weights = dev.allocBuffer(1000, DType.U8, [1000]);
    weights.bytes().fill(7);
    pool.registerExisting(dev, weights);
    pool.reset();
    expect(pool.freeCount()).toBe(0);
    const scratch = pool.alloc(dev, 1000, DType.U8, [1000]);
    expect(scratch.address).not.toBe(weights.address);
    pool.dispose();
    expect(weights.stale).toBe(false);
    expect(weights.bytes().every((x) => x === 7)).toBe(true);
  });

  it("is idempotent", () => {
    const dev = device();
    if (!dev.residencySetsEnabled) {
      console.log(
        `registerExisting idempotence: residency is off on ${dev.backend} (${dev.residencyDisabledReason})`,
      );
    }
    const pool = new MlxBufferPool();
    const weights = dev.allocBuffer(4096, DType.F32, [1024]);
    const before = dev.residencyStats();
    pool.registerExisting(dev, weights);
    pool.registerExisting(dev, weights);
    expect(dev.residencyStats()).toEqual(before);
    expect(pool.stats().residencyCommits).toBe(0);
    pool.dispose();
    expect(dev.residencyStats().allocationCount).toBe(before.allocationCount);
  });

  it("with residency disabled, is a no-op and the pool has no set", () => {
    process.env.MLX_NO_RESIDENCY = "1";
    resetResidencyEnvCache();
    try {
      const dev = device();
      expect(dev.residencySetsEnabled).toBe(false);
      const pool = new MlxBufferPool();
      const weights = dev.allocBuffer(256, DType.U8, [256]);
      pool.registerExisting(dev, weights);
      pool.alloc(dev, 256, DType.U8, [256]);
      expect(dev.residencyStats()).toEqual({ enabled: false, allocationCount: 0, commitCount: 0 });
      expect(pool.stats()).toMatchObject({ residencyCommits: 0 });
      pool.dispose();
    } finally {
      delete process.env.MLX_NO_RESIDENCY;
      resetResidencyEnvCache();
    }
  });
});
