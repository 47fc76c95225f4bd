// strictViews: a view kept past its lease reads as length 0, never the next caller's data.
import { liveNativeBuffers } from "@mlx/metal-native";
import { afterEach, describe, expect, it } from "vitest";
import { DType, MlxBufferPool } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";

const device = devicesDisposedAfterEach();

afterEach(() => {
  delete process.env.MLX_POOL_STRICT_VIEWS;
});

describe("without strictViews (the default)", () => {
  it("a retained view still reaches the memory the next lease gets, and the capacity past byteLength", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const view = pool.alloc(dev, 100, DType.U8, [100]).bytes();
    expect(view.buffer.byteLength).toBe(128);
    pool.reset();
    const next = pool.alloc(dev, 100, DType.U8, [100]);
    next.bytes().fill(7);
    expect(view[0]).toBe(7);
    pool.dispose();
  });
});

describe("strictViews", () => {
  it("a view is exactly byteLength bytes and reads as length 0 once reset ends its lease", () => {
    const dev = device();
    const pool = new MlxBufferPool({ strictViews: true });
    const first = pool.alloc(dev, 100, DType.F32, [25]);
    const view = first.bytes();
    const typed = first.typed();
    expect(view.buffer.byteLength).toBe(100);
    expect(typed.length).toBe(25);
    view.fill(1);
    pool.reset();
    expect(view.length).toBe(0);
    expect(view.buffer.byteLength).toBe(0);
    expect(typed.length).toBe(0);
    const next = pool.alloc(dev, 100, DType.U8, [100]);
    expect(next.address).toBe(first.address);
    expect(next.bytes()[0]).toBe(1);
    next.bytes().fill(9);
    expect(view[0]).toBeUndefined();
    pool.dispose();
  });

  it("release, a fenced release, allocBatch, dispose each end the view", async () => {
    const dev = device();
    const pool = new MlxBufferPool({ strictViews: true });
    const [a, b, c] = pool.allocBatch(dev, [
      [10, DType.U8, [10]],
      [20, DType.U8, [20]],
      [30, DType.U8, [30]],
    ]) as [
      ReturnType<MlxBufferPool["alloc"]>,
      ReturnType<MlxBufferPool["alloc"]>,
      ReturnType<MlxBufferPool["alloc"]>,
    ];
    const views = [a.bytes(), b.bytes(), c.bytes()];
    expect(views.map((v) => v.buffer.byteLength)).toEqual([10, 20, 30]);
    pool.release(a);
    expect(views[0]?.length).toBe(0);
    let settle: () => void = () => {};
    pool.release(b, { after: new Promise<void>((r) => (settle = r)) });
    expect(views[1]?.length).toBe(0);
    settle();
    await Promise.resolve();
    pool.dispose();
    expect(views[2]?.length).toBe(0);
  });

  it("a refused reset (bad after) ends no view", () => {
    const dev = device();
    const pool = new MlxBufferPool({ strictViews: true });
    const view = pool.alloc(dev, 16, DType.U8, [16]).bytes();
    expectMlxError(
      () => pool.reset({ after: 5 as unknown as PromiseLike<void> }),
      "INVALID_ARGUMENT",
    );
    expect(view.length).toBe(16);
    pool.dispose();
  });

  it("MLX_POOL_STRICT_VIEWS=1 turns it on; a non-boolean option is INVALID_ARGUMENT", () => {
    const dev = device();
    process.env.MLX_POOL_STRICT_VIEWS = "1";
    const pool = new MlxBufferPool();
    expect(pool.alloc(dev, 100, DType.U8, [100]).bytes().buffer.byteLength).toBe(100);
    pool.dispose();
    expectMlxError(
      () => new MlxBufferPool({ strictViews: "yes" as unknown as boolean }),
      "INVALID_ARGUMENT",
    );
  });

  it("many leases and a collection free everything exactly once", () => {
    const dev = device();
    const before = liveNativeBuffers().count;
    const pool = new MlxBufferPool({ strictViews: true, poison: true });
    const kept: Uint8Array[] = [];
    for (let step = 0; step < 200; step++) {
      for (let i = 0; i < 5; i++)
        kept.push(pool.alloc(dev, 64 * (i + 1), DType.U8, [64 * (i + 1)]).bytes());
      pool.reset();
    }
    expect(kept.every((v) => v.length === 0)).toBe(true);
    pool.dispose();
    kept.length = 0;
    (globalThis as { gc?: () => void }).gc?.();
    expect(liveNativeBuffers().count).toBe(before);
  });
});
