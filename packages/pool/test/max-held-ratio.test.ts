import { describe, expect, it } from "vitest";
import { DType, MlxBufferPool } from "../src/index.js";
import { expectMlxError, openDevice } from "./helpers.js";

describe("MlxBufferPool maxHeldRatio", () => {
  it("frees cached buffers of other classes so held stays within ratio x live peak", () => {
    const device = openDevice();
    const pool = new MlxBufferPool({ maxHeldRatio: 1.25 });
    try {
      for (let size = 4096; size <= 256 * 1024; size *= 2) {
        pool.alloc(device, size, DType.U8, [size]);
        pool.reset();
      }
      const stats = pool.stats();
      expect(stats.peakInUseBytes).toBe(256 * 1024);
      expect(stats.peakHeldBytes).toBeLessThanOrEqual(1.25 * 256 * 1024);
      expect(stats.evictions).toBeGreaterThan(0);
      expect(stats.heldBytes).toBe(stats.freeBytes);
    } finally {
      pool.dispose();
      device.dispose();
    }
  });

  it("without the option, the seed keeps every class cached", () => {
    const device = openDevice();
    const pool = new MlxBufferPool();
    try {
      for (let size = 4096; size <= 256 * 1024; size *= 2) {
        pool.alloc(device, size, DType.U8, [size]);
        pool.reset();
      }
      expect(pool.stats()).toMatchObject({ evictions: 0, heldBytes: 512 * 1024 - 4096 });
    } finally {
      pool.dispose();
      device.dispose();
    }
  });

  it("rejects a ratio below 1", () => {
    expectMlxError(() => new MlxBufferPool({ maxHeldRatio: 0.9 }), "INVALID_ARGUMENT");
  });
});
