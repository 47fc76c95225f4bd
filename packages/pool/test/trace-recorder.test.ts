// MlxBufferPool.startTrace / stopTrace: what was done, as an mlx-pool-trace/1 document.
import { afterEach, describe, expect, it } from "vitest";
import { DType, type MlxBuffer, MlxBufferPool, TRACE_FORMAT } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";

const open = devicesDisposedAfterEach();
let pool: MlxBufferPool;
afterEach(() => pool.dispose());

describe("startTrace / stopTrace", () => {
  it("records allocs, releases and resets, each reset ending a step", () => {
    const dev = open();
    pool = new MlxBufferPool();
    const before = pool.alloc(dev, 8, DType.U8, [8]);
    pool.startTrace();
    const a = pool.alloc(dev, 100, DType.U8, [100]);
    pool.alloc(dev, 64, DType.F32, [16]);
    pool.release(a);
    pool.release(before); // leased before recording: not in the trace
    pool.reset();
    const [x, y] = pool.allocBatch(dev, [
      [10, DType.U8, [10]],
      [20, DType.U8, [20]],
    ]);
    pool.release(y as MlxBuffer);
    pool.reset();
    pool.alloc(dev, 7, DType.U8, [7]);
    const trace = pool.stopTrace();
    expect(x).toBeDefined();
    expect(trace.format).toBe(TRACE_FORMAT);
    expect(trace.steps).toEqual([
      [["a", 0, 100], ["a", 1, 64], ["f", 0], ["r"]],
      [["a", 2, 10], ["a", 3, 20], ["f", 3], ["r"]],
      [["a", 4, 7]],
    ]);
    expect(trace.description).toContain("3 steps, 5 allocations");
    // Stopped: nothing more is recorded, and a new recording starts empty.
    pool.reset();
    pool.startTrace();
    expect(pool.stopTrace().steps).toEqual([]);
  });

  it("refuses a second start, a stop without a start, and a disposed pool", () => {
    pool = new MlxBufferPool();
    expectMlxError(() => pool.stopTrace(), "INVALID_ARGUMENT");
    pool.startTrace();
    const e = expectMlxError(() => pool.startTrace(), "INVALID_ARGUMENT");
    expect(e.message).toContain("already recording");
    expect(pool.stopTrace().steps).toEqual([]);
    pool.dispose();
    expectMlxError(() => pool.startTrace(), "DISPOSED");
  });

  it("does not record a failed alloc", () => {
    const dev = open();
    pool = new MlxBufferPool();
    pool.startTrace();
    expectMlxError(() => pool.alloc(dev, 0, DType.U8, [0]), "INVALID_ARGUMENT");
    expectMlxError(() => pool.alloc(dev, 4, DType.F32, [2]), "INVALID_ARGUMENT");
    expect(pool.stopTrace().steps).toEqual([]);
  });
});
