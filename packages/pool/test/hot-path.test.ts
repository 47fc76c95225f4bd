// The pooled hot path (alloc on a hit, reset) must not cross into native code.
import { describe, expect, it } from "vitest";
import { DType, type MlxBuffer, MlxBufferPool, type MlxDevice } from "../src/index.js";
import { openDevice } from "./helpers.js";

/**
 * Replaces `owner[key]` (a native object) with a proxy that counts every property read: each
 * method call or getter on an addon object is a read first.
 */
function countReads(counter: { reads: number }, owner: object, key: string): () => void {
  const record = owner as Record<string, object>;
  const target = record[key] as object;
  record[key] = new Proxy(target, {
    get(object, property) {
      counter.reads++;
      const value = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
  return () => {
    record[key] = target;
  };
}

/**
 * Counts every read of a native object the pooled path could call — the device's, each warm
 * buffer's allocation's, the residency set's — while `run` runs; restores them after.
 */
function nativeReadsDuring(
  dev: MlxDevice,
  warm: readonly MlxBuffer[],
  run: (counter: { reads: number }) => void,
): void {
  const counter = { reads: 0 };
  const restores = [countReads(counter, dev.memory, "native")];
  for (const buffer of warm) restores.push(countReads(counter, buffer.slot.handle, "native"));
  const set = dev.memory.residency;
  if (set !== undefined) restores.push(countReads(counter, set, "native"));
  try {
    run(counter);
  } finally {
    for (const restore of restores) restore();
  }
}

describe("hot path", () => {
  it("alloc on a hit and reset make no native call", () => {
    const dev = openDevice();
    const pool = new MlxBufferPool();
    const sizes = [8, 512, 1536, 3072, 6144, 98304, 512, 8];
    const warm = sizes.map((n) => pool.alloc(dev, n, DType.U8, [n]));
    pool.reset();
    nativeReadsDuring(dev, warm, (counter) => {
      for (let round = 0; round < 50; round++) {
        for (const n of sizes) pool.alloc(dev, n, DType.U8, [n]);
        pool.reset();
      }
      expect(counter.reads).toBe(0);
      // The counter does see native calls: a miss crosses.
      pool.alloc(dev, 1 << 20, DType.U8, [1 << 20]);
      expect(counter.reads).toBeGreaterThan(0);
    });
    expect(pool.stats()).toMatchObject({ misses: sizes.length + 1, hits: 50 * sizes.length });
    pool.dispose();
    dev.dispose();
  });

  it("a lease by id on a hit and reset make no native call", () => {
    const dev = openDevice();
    const pool = new MlxBufferPool();
    const ids = pool.leaseIds();
    const sizes = [8, 512, 1536, 3072, 6144, 98304, 512, 8];
    const warm = sizes.map((n) => ids.buffer(ids.alloc(dev, n), DType.U8, [n]));
    pool.reset();
    nativeReadsDuring(dev, warm, (counter) => {
      for (let round = 0; round < 50; round++) {
        for (const n of sizes) ids.alloc(dev, n);
        pool.reset();
      }
      expect(counter.reads).toBe(0);
      ids.alloc(dev, 1 << 20);
      expect(counter.reads).toBeGreaterThan(0);
    });
    expect(pool.stats()).toMatchObject({ misses: sizes.length + 1, hits: 50 * sizes.length });
    pool.dispose();
    dev.dispose();
  });

  it("the zero-copy view is made on the first bytes() or typed(), once per allocation", () => {
    // Residency off: the set would refuse the counting proxies the test hands it.
    const dev = openDevice({ residency: false });
    const pool = new MlxBufferPool();
    const contentsCalls: number[] = [];
    const memory = dev.memory as { native: object };
    const native = memory.native;
    // Counts contents() calls per native buffer the pool makes from here on.
    memory.native = new Proxy(native, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== "allocBuffer")
          return typeof value === "function" ? value.bind(target) : value;
        return (n: number) => {
          const buffer = (value as (n: number) => object).call(target, n);
          const index = contentsCalls.push(0) - 1;
          return new Proxy(buffer, {
            get(b, key) {
              if (key === "contents") contentsCalls[index] = (contentsCalls[index] as number) + 1;
              const v = Reflect.get(b, key, b);
              return typeof v === "function" ? v.bind(b) : v;
            },
          });
        };
      },
    });
    let first: ReturnType<MlxBuffer["typed"]>;
    try {
      const big = pool.alloc(dev, 64 << 20, DType.U8, [64 << 20]);
      const small = pool.alloc(dev, 256, DType.F32, [64]);
      expect(contentsCalls).toEqual([0, 0]);
      first = small.typed();
      expect(small.bytes().buffer).toBe(first.buffer);
      expect(contentsCalls).toEqual([0, 1]);
      pool.reset();
      const again = pool.alloc(dev, 200, DType.U8, [200]);
      expect(again.address).toBe(small.address);
      expect(again.bytes().buffer).toBe(first.buffer);
      expect(again.bytes().byteLength).toBe(200);
      expect(contentsCalls).toEqual([0, 1]);
      expect(big.stale).toBe(true);
      pool.clear();
      expect(contentsCalls).toEqual([0, 1]);
    } finally {
      memory.native = native;
    }
    expect(first.length).toBe(64);
    pool.dispose();
    // Freeing detaches the view it handed out: no JavaScript view reaches freed memory.
    expect(first.length).toBe(0);
    dev.dispose();
  });
});
