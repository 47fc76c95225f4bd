// allocBatch's steady state: every request a hit, leased in one pass. Whatever stops that pass
// (a miss, a bad request) must leave the pool exactly as a batch never tried would.
import { describe, expect, it } from "vitest";
import { type AllocRequest, DType, MlxBufferPool } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";

const device = devicesDisposedAfterEach();
const u8 = (n: number): AllocRequest => [n, DType.U8, [n]];

/** A pool with free buffers of 64, 64, 128, 256 bytes and `maxFreeBytes` keeping the LRU order. */
function warmPool() {
  const dev = device();
  const pool = new MlxBufferPool({ maxFreeBytes: 1 << 20 });
  const first = [pool.alloc(dev, 64, DType.U8, [64]), pool.alloc(dev, 64, DType.U8, [64])];
  const others = [pool.alloc(dev, 128, DType.U8, [128]), pool.alloc(dev, 256, DType.U8, [256])];
  pool.reset();
  return { dev, pool, addresses: [...first, ...others].map((b) => b.address) };
}

const stateOf = (pool: MlxBufferPool) => {
  const { policy: _policy, ...stats } = pool.stats();
  return stats;
};

describe("allocBatch of hits", () => {
  it("gives what a loop of alloc gives: same buffers, order, stats", () => {
    const a = warmPool();
    const loop = [64, 256, 64, 100].map((n) => a.pool.alloc(a.dev, n, DType.U8, [n]));
    const b = warmPool();
    const batch = b.pool.allocBatch(b.dev, [64, 256, 64, 100].map(u8));
    expect(batch.map((x) => b.addresses.indexOf(x.address))).toEqual(
      loop.map((x) => a.addresses.indexOf(x.address)),
    );
    expect(new Set(batch.map((x) => b.addresses.indexOf(x.address))).size).toBe(4);
    expect(stateOf(b.pool)).toEqual(stateOf(a.pool));
    expect(batch.map((x) => [x.byteLength, x.capacity, x.elementCount, x.stale])).toEqual([
      [64, 64, 64, false],
      [256, 256, 256, false],
      [64, 64, 64, false],
      [100, 128, 100, false],
    ]);
    // The batch's buffers go stale at reset like any lease.
    b.pool.reset();
    expect(batch.every((x) => x.stale)).toBe(true);
  });

  it("a miss after some hits: the hits are undone, the general path serves the batch", () => {
    const { dev, pool } = warmPool();
    const [b64, b256] = [
      pool.alloc(dev, 64, DType.U8, [64]),
      pool.alloc(dev, 256, DType.U8, [256]),
    ];
    const expected = [b64.address, b256.address];
    pool.reset();
    const before = stateOf(pool);
    const batch = pool.allocBatch(dev, [64, 256, 4096].map(u8));
    expect(batch.slice(0, 2).map((x) => x.address)).toEqual(expected);
    expect(stateOf(pool)).toMatchObject({
      hits: before.hits + 2,
      misses: before.misses + 1,
      inUseCount: 3,
      freeCount: before.freeCount - 2,
    });
  });

  it("a bad request after some hits changes nothing: counts and free lists", () => {
    const { dev, pool, addresses } = warmPool();
    const before = stateOf(pool);
    const error = expectMlxError(
      () => pool.allocBatch(dev, [u8(64), u8(128), [64, DType.U8, [-1]]]),
      "INVALID_ARGUMENT",
    );
    expect(error.message).toContain("allocBatch request 2");
    expect(stateOf(pool)).toEqual(before);
    // The same buffers come back, most recently freed first, as if no batch had been tried.
    const twin = warmPool();
    const expected = [64, 64, 128].map((n) => twin.pool.alloc(twin.dev, n, DType.U8, [n]));
    const got = [64, 64, 128].map((n) => pool.alloc(dev, n, DType.U8, [n]));
    expect(got.map((x) => addresses.indexOf(x.address))).toEqual(
      expected.map((x) => twin.addresses.indexOf(x.address)),
    );
    expect(got.map((x) => addresses.indexOf(x.address))).toEqual([1, 0, 2]);
  });

  it("a length past the device's maximum after some hits is refused naming it and its index", () => {
    const { dev, pool } = warmPool();
    const before = stateOf(pool);
    const n = dev.maxBufferLength + 1;
    const error = expectMlxError(
      () => pool.allocBatch(dev, [u8(64), u8(128), [n, DType.U8, [1]]]),
      "INVALID_ARGUMENT",
    );
    expect(error.message).toContain("allocBatch request 2");
    expect(error.message).toContain(String(n));
    expect(stateOf(pool)).toEqual(before);
  });

  it("a non-array iterable is read once and served alike", () => {
    const { dev, pool } = warmPool();
    let reads = 0;
    function* requests() {
      for (const n of [64, 128]) {
        reads++;
        yield u8(n);
      }
    }
    const batch = pool.allocBatch(dev, requests());
    expect(reads).toBe(2);
    expect(batch.map((x) => x.capacity)).toEqual([64, 128]);
    expect(pool.stats().misses).toBe(4);
  });
});
