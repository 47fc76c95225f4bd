// allocBatch reads each request once, and reading may run the caller's code (a getter, a
// proxy). Code that calls the pool back meanwhile is refused, and the batch changes nothing.
import { describe, expect, it } from "vitest";
import { DType, type MlxBuffer, MlxBufferPool, setCacheLimit } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";

const device = devicesDisposedAfterEach();

/** A shape whose first read of `length` runs `hook`. */
function trappedShape(extent: number, hook: () => void): number[] {
  let fired = false;
  return new Proxy([extent], {
    get(target, key, receiver) {
      if (key === "length" && !fired) {
        fired = true;
        hook();
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

const stateOf = (pool: MlxBufferPool) => {
  const { policy: _policy, ...stats } = pool.stats();
  return stats;
};

describe("allocBatch re-entered from a request's getter", () => {
  const calls: [string, (pool: MlxBufferPool, dev: ReturnType<typeof device>) => unknown][] = [
    ["reset", (pool) => pool.reset()],
    ["alloc", (pool, dev) => pool.alloc(dev, 4096, DType.U8, [4096])],
    ["allocBatch", (pool, dev) => pool.allocBatch(dev, [[64, DType.U8, [64]]])],
    ["clear", (pool) => pool.clear()],
    ["dispose", (pool) => pool.dispose()],
  ];
  it.each(calls)(
    "%s is INVALID_ARGUMENT; the batch is refused and changes nothing",
    (name, call) => {
      const dev = device();
      const pool = new MlxBufferPool({ maxBuffers: 2, maxFreeBytes: 1 << 20 });
      pool.alloc(dev, 64, DType.U8, [64]);
      pool.alloc(dev, 64, DType.U8, [64]);
      pool.reset();
      const before = stateOf(pool);
      let inner: unknown;
      const shape = trappedShape(64, () => {
        try {
          call(pool, dev);
        } catch (error) {
          inner = error;
          throw error;
        }
      });
      const error = expectMlxError(
        () =>
          pool.allocBatch(dev, [
            [64, DType.U8, [64]],
            [64, DType.U8, shape],
            [1 << 20, DType.U8, [1]],
          ]),
        "INVALID_ARGUMENT",
      );
      expect(error).toBe(inner);
      expect(error.message).toContain(`${name}: the pool is in the middle of allocBatch`);
      expect(stateOf(pool)).toEqual(before);
      // The pool works as before: two hits on distinct buffers.
      const [a, b] = [pool.alloc(dev, 64, DType.U8, [64]), pool.alloc(dev, 64, DType.U8, [64])] as [
        MlxBuffer,
        MlxBuffer,
      ];
      expect(a.address).not.toBe(b.address);
      expect(stateOf(pool)).toMatchObject({ misses: 2, inUseCount: 2, freeCount: 0 });
    },
  );

  it("the general path (arena) refuses it too: the getter's error is not taken for a bad request", () => {
    const dev = device();
    const pool = new MlxBufferPool({ policy: "arena" });
    pool.alloc(dev, 64, DType.U8, [64]);
    pool.reset();
    const before = stateOf(pool);
    const shape = trappedShape(64, () => pool.reset());
    const error = expectMlxError(
      () =>
        pool.allocBatch(dev, [
          [64, DType.U8, [64]],
          [64, DType.U8, shape],
        ]),
      "INVALID_ARGUMENT",
    );
    expect(error.message).toContain("reset: the pool is in the middle of allocBatch");
    expect(stateOf(pool)).toEqual(before);
  });

  it("a cache limit set from a getter does not evict mid-batch; it applies at the next return", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const kept = [pool.alloc(dev, 64, DType.U8, [64]), pool.alloc(dev, 128, DType.U8, [128])];
    pool.reset();
    try {
      const shape = trappedShape(128, () => setCacheLimit(0));
      const batch = pool.allocBatch(dev, [
        [64, DType.U8, [64]],
        [128, DType.U8, shape],
      ]);
      expect(batch.map((x) => x.address)).toEqual(kept.map((x) => x.address));
      expect(stateOf(pool)).toMatchObject({ evictions: 0, freeCount: 0, inUseCount: 2 });
      pool.reset();
      expect(stateOf(pool)).toMatchObject({ freeCount: 0, freeBytes: 0, heldCount: 0 });
    } finally {
      setCacheLimit(Number.MAX_SAFE_INTEGER);
    }
  });

  it("a getter that throws its own error refuses the batch, changing nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    pool.alloc(dev, 64, DType.U8, [64]);
    pool.reset();
    const before = stateOf(pool);
    const request = [64, DType.U8, [64]];
    Object.defineProperty(request, 1, {
      get() {
        throw new Error("getter failed");
      },
    });
    expect(() => pool.allocBatch(dev, [[64, DType.U8, [64]], request as never])).toThrow(
      "getter failed",
    );
    expect(stateOf(pool)).toEqual(before);
  });
});
