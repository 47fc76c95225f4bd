// The pooled hot path (alloc on a hit, reset) must not cross into native code.
import { describe, expect, it } from "vitest";
import { DType, MlxBufferPool } from "../src/index.js";
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

describe("hot path", () => {
  it("alloc on a hit and reset make no native call", () => {
    const dev = openDevice();
    const pool = new MlxBufferPool();
    const sizes = [8, 512, 1536, 3072, 6144, 98304, 512, 8];
    const warm = sizes.map((n) => pool.alloc(dev, n, DType.U8, [n]));
    pool.reset();
    const counter = { reads: 0 };
    const restores = [countReads(counter, dev.memory, "native")];
    for (const buffer of warm) restores.push(countReads(counter, buffer.slot.handle, "native"));
    const set = dev.memory.residency;
    if (set !== undefined) restores.push(countReads(counter, set, "native"));
    try {
      for (let round = 0; round < 50; round++) {
        for (const n of sizes) pool.alloc(dev, n, DType.U8, [n]);
        pool.reset();
      }
      expect(counter.reads).toBe(0);
      // The counter does see native calls: a miss crosses.
      pool.alloc(dev, 1 << 20, DType.U8, [1 << 20]);
      expect(counter.reads).toBeGreaterThan(0);
    } finally {
      for (const restore of restores) restore();
    }
    expect(pool.stats()).toMatchObject({ misses: sizes.length + 1, hits: 50 * sizes.length });
    pool.dispose();
    dev.dispose();
  });
});
