// Residency through the pool: commit counts, clear, dispose, mixing devices.
import { describe, expect, it } from "vitest";
import { DType, MlxBufferPool, MlxError } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError, openDevice } from "./helpers.js";

const residentDevice = devicesDisposedAfterEach();

const probe = openDevice();
const residencyReason = probe.residencyDisabledReason;
probe.dispose();
if (residencyReason !== null) console.log(`residency tests skipped: ${residencyReason}`);

describe.skipIf(residencyReason !== null)("residency", () => {
  it("a fresh alloc registers and commits once; a hit commits nothing", () => {
    const dev = residentDevice();
    const pool = new MlxBufferPool();
    const before = dev.residencyStats();
    pool.alloc(dev, 100, DType.U8, [100]);
    expect(dev.residencyStats()).toEqual({
      enabled: true,
      allocationCount: before.allocationCount + 1,
      commitCount: before.commitCount + 1,
    });
    pool.reset();
    pool.alloc(dev, 100, DType.U8, [100]);
    expect(dev.residencyStats().commitCount).toBe(before.commitCount + 1);
    expect(pool.stats().residencyCommits).toBe(1);
    pool.dispose();
  });

  it("allocBatch commits once for the batch and not at all when empty", () => {
    const dev = residentDevice();
    const pool = new MlxBufferPool();
    const before = dev.residencyStats();
    expect(pool.allocBatch(dev, [])).toEqual([]);
    expect(dev.residencyStats()).toEqual(before);
    const buffers = pool.allocBatch(dev, [
      [100, DType.U8, [100]],
      [4000, DType.F32, [1000]],
      [100, DType.U8, [100]],
    ]);
    expect(buffers.map((b) => b.capacity)).toEqual([128, 4096, 128]);
    expect(new Set(buffers.map((b) => b.address)).size).toBe(3);
    expect(dev.residencyStats()).toMatchObject({
      allocationCount: before.allocationCount + 3,
      commitCount: before.commitCount + 1,
    });
    pool.dispose();
  });

  it("clear frees free buffers and removes their residency with one commit", () => {
    const dev = residentDevice();
    const pool = new MlxBufferPool();
    const live = pool.alloc(dev, 8, DType.U8, [8]);
    const freed = pool.allocBatch(dev, [
      [16, DType.U8, [16]],
      [32, DType.U8, [32]],
    ]);
    for (const b of freed) pool.release(b);
    const before = dev.residencyStats();
    pool.clear();
    expect(dev.residencyStats()).toMatchObject({
      allocationCount: before.allocationCount - 2,
      commitCount: before.commitCount + 1,
    });
    expect(pool.freeCount()).toBe(0);
    expect(live.stale).toBe(false);
    pool.clear();
    expect(dev.residencyStats().commitCount).toBe(before.commitCount + 1);
    pool.dispose();
  });

  it("dispose removes every allocation the pool registered with one commit", () => {
    const dev = residentDevice();
    const weights = dev.allocBuffer(64, DType.U8, [64]);
    const baseline = dev.residencyStats();
    const pool = new MlxBufferPool();
    pool.allocBatch(dev, [
      [16, DType.U8, [16]],
      [32, DType.U8, [32]],
    ]);
    pool.alloc(dev, 64, DType.U8, [64]);
    pool.reset();
    pool.registerExisting(dev, weights);
    const before = dev.residencyStats();
    expect(before.allocationCount).toBe(baseline.allocationCount + 3);
    pool.dispose();
    expect(dev.residencyStats()).toEqual({
      enabled: true,
      allocationCount: baseline.allocationCount,
      commitCount: before.commitCount + 1,
    });
    expect(weights.bytes().byteLength).toBe(64);
  });

  it("mixing devices with different residency sets is INVALID_ARGUMENT with the seed's message", () => {
    const first = residentDevice();
    const second = residentDevice();
    const pool = new MlxBufferPool();
    pool.alloc(first, 8, DType.U8, [8]);
    const before = [pool.stats(), first.residencyStats(), second.residencyStats()];
    const error = expectMlxError(() => pool.alloc(second, 8, DType.U8, [8]), "INVALID_ARGUMENT");
    expect(error.message).toMatch(/cannot mix devices with different residency sets/);
    const weights = second.allocBuffer(8, DType.U8, [8]);
    const afterAlloc = second.residencyStats();
    expectMlxError(() => pool.registerExisting(second, weights), "INVALID_ARGUMENT");
    expect([pool.stats(), first.residencyStats()]).toEqual(before.slice(0, 2));
    expect(second.residencyStats()).toEqual(afterAlloc);
    pool.dispose();
  });

  it("a device without residency can share a pool with a resident one", () => {
    const resident = residentDevice();
    const plain = residentDevice({ residency: false });
    const pool = new MlxBufferPool();
    pool.alloc(resident, 8, DType.U8, [8]);
    expect(() => pool.alloc(plain, 8, DType.U8, [8])).not.toThrow();
    pool.dispose();
  });

  it("registerExisting refuses a buffer of another device", () => {
    const dev = residentDevice();
    const other = residentDevice({ residency: false });
    const pool = new MlxBufferPool();
    const foreign = other.allocBuffer(8, DType.U8, [8]);
    const error = expectMlxError(() => pool.registerExisting(dev, foreign), "INVALID_ARGUMENT");
    expect(error).toBeInstanceOf(MlxError);
    pool.dispose();
  });
});
