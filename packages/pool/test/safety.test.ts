// What the pool adds to the seed: stale handles, checked release, limits, poisoning.
import { describe, expect, it } from "vitest";
import { DType, MlxBufferPool } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";

const device = devicesDisposedAfterEach();

describe("stale handles", () => {
  it("a handle from before a reset is stale and its accessors throw STALE_BUFFER", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const old = pool.alloc(dev, 64, DType.F32, [16]);
    expect(old.stale).toBe(false);
    pool.reset();
    const next = pool.alloc(dev, 64, DType.F32, [16]);
    expect(next.address).toBe(old.address);
    expect(old.stale).toBe(true);
    expect(next.stale).toBe(false);
    expectMlxError(() => old.bytes(), "STALE_BUFFER");
    expectMlxError(() => old.typed(), "STALE_BUFFER");
    expectMlxError(() => old.read(), "STALE_BUFFER");
    expect(next.typed()).toBeInstanceOf(Float32Array);
    pool.dispose();
  });

  it("a released handle is stale", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 64, DType.U8, [64]);
    pool.release(a);
    expect(a.stale).toBe(true);
    expectMlxError(() => a.bytes(), "STALE_BUFFER");
    pool.dispose();
  });

  it("dispose makes every handle stale", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 64, DType.U8, [64]);
    pool.dispose();
    expect(a.stale).toBe(true);
    expectMlxError(() => pool.alloc(dev, 8, DType.U8, [8]), "DISPOSED");
  });
});

describe("checked release", () => {
  it("release + reset never hands the same memory to two live buffers", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 256, DType.U8, [256]);
    pool.release(a);
    pool.reset();
    const x = pool.alloc(dev, 256, DType.U8, [256]);
    const y = pool.alloc(dev, 256, DType.U8, [256]);
    expect(x.address).not.toBe(y.address);
    pool.dispose();
  });

  it("a double release is STALE_BUFFER and changes nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 256, DType.U8, [256]);
    pool.alloc(dev, 256, DType.U8, [256]);
    pool.release(a);
    const before = [pool.stats(), dev.residencyStats()];
    expectMlxError(() => pool.release(a), "STALE_BUFFER");
    expect([pool.stats(), dev.residencyStats()]).toEqual(before);
    pool.dispose();
  });

  it("a buffer of another pool or of the device is INVALID_ARGUMENT and changes nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const other = new MlxBufferPool();
    pool.alloc(dev, 8, DType.U8, [8]);
    const foreign = other.alloc(dev, 8, DType.U8, [8]);
    const direct = dev.allocBuffer(8, DType.U8, [8]);
    const before = [pool.stats(), other.stats(), dev.residencyStats()];
    expectMlxError(() => pool.release(foreign), "INVALID_ARGUMENT");
    expectMlxError(() => pool.release(direct), "INVALID_ARGUMENT");
    expectMlxError(() => pool.release({} as never), "INVALID_ARGUMENT");
    expect([pool.stats(), other.stats(), dev.residencyStats()]).toEqual(before);
    expect(foreign.stale).toBe(false);
    pool.dispose();
    other.dispose();
  });

  it("a shape larger than the length is INVALID_ARGUMENT and changes nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const before = [pool.stats(), dev.residencyStats()];
    const error = expectMlxError(() => pool.alloc(dev, 100, DType.F32, [26]), "INVALID_ARGUMENT");
    expect(error.message).toContain("[26]");
    expectMlxError(() => dev.allocBuffer(100, DType.F32, [5, 6]), "INVALID_ARGUMENT");
    expect([pool.stats(), dev.residencyStats()]).toEqual(before);
    pool.dispose();
  });

  it("alloc(0) is INVALID_ARGUMENT on both the pool and the device", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    expectMlxError(() => pool.alloc(dev, 0, DType.U8, [0]), "INVALID_ARGUMENT");
    expectMlxError(() => dev.allocBuffer(0, DType.U8, [0]), "INVALID_ARGUMENT");
    expect(pool.stats().misses).toBe(0);
    pool.dispose();
  });
});

describe("contents", () => {
  it("fresh buffers are zero-filled; reused ones are not re-zeroed (as in the seed)", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 1000, DType.U8, [1000]);
    expect(a.bytes().every((x) => x === 0)).toBe(true);
    expect(a.bytes().byteLength).toBe(1000);
    expect(a.capacity).toBe(1024);
    a.bytes().fill(9);
    pool.reset();
    const b = pool.alloc(dev, 1000, DType.U8, [1000]);
    expect(b.bytes()[0]).toBe(9);
    pool.dispose();
  });

  it("typed() matches the dtype and the element count", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const f = pool.alloc(dev, 64, DType.F32, [4, 4]);
    expect(f.typed()).toBeInstanceOf(Float32Array);
    expect(f.typed().length).toBe(16);
    expect(f.elementCount).toBe(16);
    expect(pool.alloc(dev, 8, DType.BF16, [4]).typed()).toBeInstanceOf(Uint16Array);
    expect(pool.alloc(dev, 8, DType.I32, [2]).typed()).toBeInstanceOf(Int32Array);
    f.typed()[3] = 1.5;
    expect(new Float32Array(f.read(0, 16).buffer)[3]).toBe(1.5);
    pool.dispose();
  });

  it("poison fills recycled memory so stale views show garbage", () => {
    const dev = device();
    const pool = new MlxBufferPool({ poison: true });
    const a = pool.alloc(dev, 16, DType.U8, [16]);
    const view = a.bytes();
    view.fill(1);
    pool.reset();
    expect(Array.from(view)).toEqual(new Array(16).fill(0xa5));
    pool.dispose();
  });
});

describe("limits and the cache", () => {
  it("maxFreeBytes evicts least recently used free buffers and frees them", () => {
    const dev = device();
    const pool = new MlxBufferPool({ maxFreeBytes: 3 * 1024 });
    const a = pool.alloc(dev, 1024, DType.U8, [1024]);
    const b = pool.alloc(dev, 2048, DType.U8, [2048]);
    const c = pool.alloc(dev, 1024, DType.U8, [1024]);
    const view = a.bytes();
    pool.release(a);
    pool.release(b);
    pool.release(c);
    expect(view.byteLength).toBe(0); // a's memory was freed: its view is detached
    expect(pool.stats()).toMatchObject({ evictions: 1, freeBytes: 3072, freeCount: 2 });
    if (dev.residencySetsEnabled) expect(dev.residencyStats().allocationCount).toBe(2);
    pool.dispose();
  });

  it("maxBuffers fails with MEMORY_LIMIT naming reset, and changes nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool({ maxBuffers: 3 });
    for (let i = 0; i < 3; i++) pool.alloc(dev, 8, DType.U8, [8]);
    const before = [pool.stats(), dev.residencyStats()];
    const error = expectMlxError(() => pool.alloc(dev, 8, DType.U8, [8]), "MEMORY_LIMIT");
    expect(error.message).toMatch(/reset\(\)/);
    expect([pool.stats(), dev.residencyStats()]).toEqual(before);
    pool.reset();
    expect(pool.alloc(dev, 8, DType.U8, [8]).stale).toBe(false);
    pool.dispose();
  });
});
