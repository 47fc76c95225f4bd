// strictViews under policy "arena": every live range of a slab has its own detachable view, so
// ending one lease detaches its view alone, and a view kept past its lease reads as length 0.
import { liveNativeBuffers } from "@mlx/metal-native";
import { afterEach, describe, expect, it } from "vitest";
import { DType, type MlxBuffer, MlxBufferPool } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError, manualFence, settle } from "./helpers.js";

const device = devicesDisposedAfterEach();
const strictArena = (options = {}) =>
  new MlxBufferPool({ policy: "arena", strictViews: true, ...options });
const u8 = (pool: MlxBufferPool, dev: ReturnType<typeof device>, n: number): MlxBuffer =>
  pool.alloc(dev, n, DType.U8, [n]);

afterEach(() => {
  delete process.env.MLX_POOL_STRICT_VIEWS;
});

describe('strictViews under policy "arena"', () => {
  it("each lease's view is exactly its range, starting at its first byte", () => {
    const dev = device();
    const pool = strictArena();
    const a = u8(pool, dev, 1000);
    const b = pool.alloc(dev, 4000, DType.F32, [1000]);
    expect(a.nativeAllocation).toBe(b.nativeAllocation); // one slab
    expect(b.byteOffset).toBeGreaterThan(0);
    const bytes = b.bytes();
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.byteLength).toBe(4000);
    expect(bytes.buffer.byteLength).toBe(4000); // not the slab, not the capacity
    const typed = b.typed();
    expect(typed).toBeInstanceOf(Float32Array);
    expect(typed.length).toBe(1000);
    expect(typed.buffer).toBe(bytes.buffer);
    typed[0] = 1.5;
    // The view is over the slab's memory at b's offset: the copying read sees the write.
    expect([...b.read(0, 4)]).toEqual([...new Uint8Array(new Float32Array([1.5]).buffer)]);
    expect(a.bytes().buffer.byteLength).toBe(1000);
    pool.dispose();
  });

  it("two live leases of one slab: releasing one detaches its view alone; the other stays intact and writable", () => {
    const dev = device();
    const pool = strictArena();
    const a = u8(pool, dev, 512);
    const b = u8(pool, dev, 768);
    expect(a.nativeAllocation).toBe(b.nativeAllocation);
    const aView = a.bytes();
    const bView = b.bytes();
    aView.fill(0xaa);
    bView.fill(0xbb);
    pool.release(a);
    expect(aView.length).toBe(0);
    expect(aView.buffer.byteLength).toBe(0);
    expect(bView.length).toBe(768);
    expect(bView.every((x) => x === 0xbb)).toBe(true);
    bView[767] = 0x01;
    expect(b.read(767, 1)[0]).toBe(0x01);
    expect(b.bytes()[767]).toBe(0x01);
    // The released range's next user is not reachable through the retained view.
    const c = u8(pool, dev, 512);
    expect(c.byteOffset).toBe(a.byteOffset);
    c.bytes().fill(0xcc);
    expect(aView[0]).toBeUndefined();
    expect(bView[0]).toBe(0xbb);
    pool.dispose();
  });

  it("a hit on a recycled range gets a fresh view; the previous lease's view stays detached", () => {
    const dev = device();
    const pool = strictArena();
    const first = u8(pool, dev, 2048);
    const old = first.bytes();
    old.fill(0x5a);
    const offset = first.byteOffset;
    pool.release(first);
    const again = u8(pool, dev, 2000);
    expect(again.byteOffset).toBe(offset);
    expect(pool.stats().arena?.recycledAllocations).toBe(1);
    const fresh = again.bytes();
    expect(fresh.buffer).not.toBe(old.buffer);
    expect(fresh.byteLength).toBe(2000);
    expect(fresh[0]).toBe(0x5a); // recycled, not re-zeroed
    expect(old.length).toBe(0);
    pool.reset();
    expect(fresh.length).toBe(0);
    pool.dispose();
  });

  it("reset detaches every lease's view", () => {
    const dev = device();
    const pool = strictArena();
    const views = [100, 3000, 70_000, 16].map((n) => u8(pool, dev, n).bytes());
    expect(views.map((v) => v.length)).toEqual([100, 3000, 70_000, 16]);
    pool.reset();
    expect(views.every((v) => v.length === 0 && v.buffer.byteLength === 0)).toBe(true);
    // The arena itself is unharmed: new leases read and write through new views.
    const next = u8(pool, dev, 100);
    next.bytes()[0] = 3;
    expect(next.read(0, 1)[0]).toBe(3);
    pool.dispose();
  });

  it("a fenced reset detaches at the reset, and keeps the ranges out of circulation until it settles", async () => {
    const dev = device();
    const pool = strictArena();
    const a = u8(pool, dev, 4096);
    const aView = a.bytes();
    const fence = manualFence();
    pool.reset({ after: fence.promise });
    expect(aView.length).toBe(0);
    const during = u8(pool, dev, 4096);
    expect(during.byteOffset).not.toBe(a.byteOffset);
    const duringView = during.bytes();
    fence.resolve();
    await settle();
    expect(duringView.length).toBe(4096); // a live lease's view survives another lease's settling
    const after = u8(pool, dev, 4096);
    expect(after.byteOffset).toBe(a.byteOffset);
    expect(after.bytes().byteLength).toBe(4096);
    pool.dispose();
  });

  it("a fenced release and a rejected fence detach at the release", async () => {
    const dev = device();
    const pool = strictArena();
    const a = u8(pool, dev, 300);
    const b = u8(pool, dev, 300);
    const [aView, bView] = [a.bytes(), b.bytes()];
    const fence = manualFence();
    pool.release(a, { after: fence.promise });
    expect(aView.length).toBe(0);
    expect(bView.length).toBe(300);
    fence.reject(new Error("command buffer error"));
    await settle();
    expect(pool.stats().quarantinedCount).toBe(1);
    expect(bView.length).toBe(300);
    pool.release(b);
    expect(bView.length).toBe(0);
    pool.dispose();
  });

  it("dispose detaches every live lease's view, also of a slab a pending fence keeps", async () => {
    const dev = device();
    const before = liveNativeBuffers().count;
    const pool = strictArena();
    const fenced = u8(pool, dev, 1000);
    const live = u8(pool, dev, 1000);
    const liveView = live.bytes();
    const fence = manualFence();
    pool.release(fenced, { after: fence.promise });
    pool.dispose();
    expect(liveView.length).toBe(0);
    expectMlxError(() => live.bytes(), "STALE_BUFFER");
    expect(liveNativeBuffers().count).toBe(before + 1); // the slab waits for the fence
    fence.resolve();
    await settle();
    expect(liveNativeBuffers().count).toBe(before);
  });

  it("allocBatch gives each lease its own view; a refused batch begins none", () => {
    const dev = device();
    const pool = strictArena({ maxBuffers: 4 });
    const [a, b, c] = pool.allocBatch(dev, [
      [10, DType.U8, [10]],
      [20_000, DType.U8, [20_000]],
      [30, DType.U8, [30]],
    ]) as [MlxBuffer, MlxBuffer, MlxBuffer];
    const views = [a.bytes(), b.bytes(), c.bytes()];
    expect(views.map((v) => v.buffer.byteLength)).toEqual([10, 20_000, 30]);
    expect(new Set(views.map((v) => v.buffer)).size).toBe(3);
    pool.release(b);
    expect(views.map((v) => v.length)).toEqual([10, 0, 30]);
    expectMlxError(
      () =>
        pool.allocBatch(dev, [
          [8, DType.U8, [8]],
          [8, DType.U8, [8]],
          [8, DType.U8, [8]],
        ]),
      "MEMORY_LIMIT",
    );
    expect(pool.inUseCount()).toBe(2);
    expect(views.map((v) => v.length)).toEqual([10, 0, 30]);
    pool.dispose();
    expect(views.map((v) => v.length)).toEqual([0, 0, 0]);
  });

  it("a refused release or reset detaches nothing", () => {
    const dev = device();
    const pool = strictArena();
    const other = strictArena();
    const a = u8(pool, dev, 64);
    const foreign = u8(other, dev, 64);
    const view = a.bytes();
    expectMlxError(() => pool.release(foreign), "INVALID_ARGUMENT");
    expectMlxError(
      () => pool.reset({ after: 5 as unknown as PromiseLike<void> }),
      "INVALID_ARGUMENT",
    );
    expectMlxError(
      () => pool.release(a, { after: 5 as unknown as PromiseLike<void> }),
      "INVALID_ARGUMENT",
    );
    expect(view.length).toBe(64);
    expect(foreign.bytes().length).toBe(64);
    pool.release(a);
    expectMlxError(() => pool.release(a), "STALE_BUFFER");
    const b = u8(pool, dev, 64); // the same range again, a new lease
    expect(b.byteOffset).toBe(a.byteOffset);
    const bView = b.bytes();
    expectMlxError(() => pool.release(a), "STALE_BUFFER");
    expect(bView.length).toBe(64);
    pool.dispose();
    other.dispose();
  });

  it("MLX_POOL_STRICT_VIEWS=1 applies to arena pools; strictViews: false overrides it", () => {
    const dev = device();
    process.env.MLX_POOL_STRICT_VIEWS = "1";
    const strict = new MlxBufferPool({ policy: "arena" });
    const loose = new MlxBufferPool({ policy: "arena", strictViews: false });
    const s = u8(strict, dev, 100);
    const l = u8(loose, dev, 100);
    expect(s.bytes().buffer.byteLength).toBe(100);
    expect(l.bytes().buffer.byteLength).toBe(1 << 20); // the whole slab
    const retained = s.bytes();
    strict.reset();
    expect(retained.length).toBe(0);
    strict.dispose();
    loose.dispose();
  });

  it("poison fills a released range; many leases and a collection free everything exactly once", () => {
    const dev = device();
    const before = liveNativeBuffers().count;
    const pool = strictArena({ poison: true });
    const kept: Uint8Array[] = [];
    for (let step = 0; step < 100; step++) {
      for (let i = 0; i < 8; i++) kept.push(u8(pool, dev, 300 * (i + 1)).bytes());
      pool.reset();
    }
    expect(kept.every((v) => v.length === 0)).toBe(true);
    const recycled = u8(pool, dev, 300);
    expect(recycled.bytes()[0]).toBe(0xa5);
    pool.dispose();
    kept.length = 0;
    (globalThis as { gc?: () => void }).gc?.();
    expect(liveNativeBuffers().count).toBe(before);
  });
});
