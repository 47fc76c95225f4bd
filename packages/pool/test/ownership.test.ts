// Which device's memory a pool hands out, what binds a pool to a residency set, and the
// safety net for pools dropped without dispose().
import { describe, expect, it } from "vitest";
import { DType, MlxBufferPool } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";

const device = devicesDisposedAfterEach();

describe("devices in one pool", () => {
  it("memory freed on one device never serves another", () => {
    const a = device({ residency: false });
    const b = device({ residency: false });
    const pool = new MlxBufferPool();
    const first = pool.alloc(a, 64, DType.U8, [64]);
    pool.reset();
    const second = pool.alloc(b, 64, DType.U8, [64]);
    expect(second.address).not.toBe(first.address);
    expect(second.slot.handle.memory).toBe(b.memory);
    expect(pool.alloc(a, 64, DType.U8, [64]).address).toBe(first.address);
    pool.dispose();
  });

  it("a call that fails its checks does not bind the pool to that device's residency set", () => {
    const a = device();
    const b = device();
    const pool = new MlxBufferPool();
    expectMlxError(() => pool.alloc(b, 0, DType.U8, [0]), "INVALID_ARGUMENT");
    expectMlxError(() => pool.allocBatch(b, [[8, DType.F32, [9]]]), "INVALID_ARGUMENT");
    expect(pool.alloc(a, 8, DType.U8, [8]).stale).toBe(false);
    pool.dispose();
  });

  it("null or undefined as the first device is INVALID_ARGUMENT, not a TypeError", () => {
    const pool = new MlxBufferPool();
    expectMlxError(() => pool.alloc(null as never, 8, DType.U8, [8]), "INVALID_ARGUMENT");
    expectMlxError(() => pool.alloc(undefined as never, 8, DType.U8, [8]), "INVALID_ARGUMENT");
    pool.dispose();
  });
});

describe("registerExisting", () => {
  it("refuses pooled buffers: the pool recycles them at reset", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const pooled = pool.alloc(dev, 64, DType.U8, [64]);
    const before = [pool.stats(), dev.residencyStats()];
    expectMlxError(() => pool.registerExisting(dev, pooled), "INVALID_ARGUMENT");
    expect([pool.stats(), dev.residencyStats()]).toEqual(before);
    pool.dispose();
  });

  it("binds a fresh pool to the device's residency set", () => {
    const dev = device();
    const other = device();
    if (!dev.residencySetsEnabled) {
      console.log(`binding test skipped: residency is off (${dev.residencyDisabledReason})`);
      return;
    }
    const pool = new MlxBufferPool();
    pool.registerExisting(dev, dev.allocBuffer(64, DType.U8, [64]));
    const error = expectMlxError(() => pool.alloc(other, 8, DType.U8, [8]), "INVALID_ARGUMENT");
    expect(error.message).toMatch(/cannot mix devices with different residency sets/);
    pool.dispose();
  });
});

describe("buffers", () => {
  it("typed() keeps the element count of the shape given at allocation", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const shape = [3];
    const b = pool.alloc(dev, 12, DType.F32, shape);
    shape[0] = 4; // the caller reuses its array
    expect(b.elementCount).toBe(3);
    expect(b.typed().length).toBe(3);
    pool.dispose();
  });

  it("memory evicted to make room is freed at once, not at the next release or reset", () => {
    const dev = device();
    const pool = new MlxBufferPool({ maxHeldBytes: 3 << 20 });
    const a = pool.alloc(dev, 2 << 20, DType.U8, [2 << 20]);
    const evictedView = a.bytes();
    pool.release(a);
    const b = pool.alloc(dev, 1 << 20, DType.U8, [1 << 20]); // 2 + 1 MiB held: fits
    pool.release(b);
    expect(evictedView.byteLength).toBe(2 << 20);
    pool.alloc(dev, 512 << 10, DType.U8, [512 << 10]); // 3.5 MiB would not fit: the oldest goes
    expect(pool.stats()).toMatchObject({ evictions: 1, heldBytes: (1 << 20) + (512 << 10) });
    expect(evictedView.byteLength).toBe(0);
    pool.dispose();
  });
});

describe("a pool dropped without dispose()", () => {
  it("is freed by the safety net once collected: its buffers leave the residency set", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) throw new Error("run with --expose-gc (see vitest.config.ts)");
    const dev = device();
    const baseline = dev.residencyStats().allocationCount;
    let views: Uint8Array[] = [];
    (() => {
      const pool = new MlxBufferPool();
      views = [1, 2, 3].map((i) => pool.alloc(dev, i * 4096, DType.U8, [i * 4096]).bytes());
      pool.reset();
    })();
    expect(views.every((v) => v.byteLength > 0)).toBe(true);
    for (let i = 0; i < 50 && views.some((v) => v.byteLength > 0); i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(views.map((v) => v.byteLength)).toEqual([0, 0, 0]);
    expect(dev.residencyStats().allocationCount).toBe(baseline);
  });
});
