// Every row of docs/bad-input.md: the error code, and nothing changed afterwards (pool counters,
// device residency membership and commits, the other pool, live handles).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bucketSize, DType, type MlxBuffer, MlxBufferPool, type MlxDevice } from "../src/index.js";
import { expectMlxError, openDevice } from "./helpers.js";

let dev: MlxDevice;
let other: MlxDevice;
let pool: MlxBufferPool;
let otherPool: MlxBufferPool;
let live: MlxBuffer;
let stale: MlxBuffer;
let foreign: MlxBuffer;
let foreignDevice: MlxBuffer;

beforeEach(() => {
  dev = openDevice();
  other = openDevice({ residency: false });
  pool = new MlxBufferPool();
  otherPool = new MlxBufferPool();
  stale = pool.alloc(dev, 64, DType.U8, [64]);
  pool.release(stale);
  live = pool.alloc(dev, 128, DType.F32, [32]);
  foreign = otherPool.alloc(dev, 64, DType.U8, [64]);
  foreignDevice = other.allocBuffer(64, DType.U8, [64]);
});
afterEach(() => {
  pool.dispose();
  otherPool.dispose();
  dev.dispose();
  other.dispose();
});

function snapshot() {
  return {
    pool: pool.stats(),
    otherPool: otherPool.stats(),
    residency: dev.residencyStats(),
    liveStale: live.stale,
    liveFirstBytes: Array.from(live.bytes().subarray(0, 8)),
  };
}

/** Expects `code`, and that nothing observable changed. */
function rejects(fn: () => unknown, code: string): void {
  const before = snapshot();
  const error = expectMlxError(fn, code);
  expect(error.message.length).toBeGreaterThan(10);
  expect(snapshot()).toEqual(before);
}

const badLengths: [string, unknown][] = [
  ["non-integer", 1.5],
  ["negative", -1],
  ["zero", 0],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["above 2^53", 2 ** 53 + 2],
  ["a string", "64"],
  ["undefined", undefined],
];

describe("bad lengths", () => {
  it.each(badLengths)("%s length is INVALID_ARGUMENT everywhere", (_name, bad) => {
    const n = bad as number;
    rejects(() => pool.alloc(dev, n, DType.U8, [0]), "INVALID_ARGUMENT");
    rejects(
      () =>
        pool.allocBatch(dev, [
          [8, DType.U8, [8]],
          [n, DType.U8, [0]],
        ]),
      "INVALID_ARGUMENT",
    );
    rejects(() => dev.allocBuffer(n, DType.U8, [0]), "INVALID_ARGUMENT");
    if (n !== 0) rejects(() => bucketSize(n), "INVALID_ARGUMENT");
  });

  it("a length above the device maximum is INVALID_ARGUMENT naming it", () => {
    const n = dev.maxBufferLength + 1;
    rejects(() => pool.alloc(dev, n, DType.U8, [1]), "INVALID_ARGUMENT");
    rejects(() => dev.allocBuffer(n, DType.U8, [1]), "INVALID_ARGUMENT");
    expect(
      expectMlxError(() => pool.alloc(dev, n, DType.U8, [1]), "INVALID_ARGUMENT").message,
    ).toContain(String(n));
  });
});

describe("allocBatch messages", () => {
  it("name the index of the bad request, for lengths, dtypes and shapes alike", () => {
    const good = [8, DType.U8, [8]] as const;
    const cases: [unknown, string][] = [
      [[0, DType.U8, [1]], "byteLength"],
      [[8, "f32", [1]], "dtype"],
      [[8, DType.U8, [-1]], "extent"],
      [[4, DType.F32, [2]], "needs 8 bytes"],
    ];
    for (const [bad, what] of cases) {
      const before = pool.stats();
      const error = expectMlxError(
        () => pool.allocBatch(dev, [good, good, bad as typeof good]),
        "INVALID_ARGUMENT",
      );
      expect(error.message).toContain("allocBatch request 2");
      expect(error.message).toContain(what);
      expect(pool.stats()).toEqual(before);
    }
  });
});

describe("bad dtype and shape", () => {
  it.each([
    ["a string", "f32"],
    ["null", null],
    ["a lookalike", { name: "f32", size: 4 }],
    ["an object made from DType's prototype", Object.create(DType.prototype)],
  ])("unknown dtype (%s) is INVALID_ARGUMENT", (_name, bad) => {
    rejects(() => pool.alloc(dev, 64, bad as never, [16]), "INVALID_ARGUMENT");
    rejects(() => dev.allocBuffer(64, bad as never, [16]), "INVALID_ARGUMENT");
  });

  it.each([
    ["negative extent", [-1]],
    ["fractional extent", [2.5]],
    ["NaN extent", [Number.NaN]],
    ["not an array", "16"],
    ["shape larger than the length", [17]],
    ["shape larger in 2-D", [4, 5]],
  ])("%s is INVALID_ARGUMENT", (_name, shape) => {
    rejects(() => pool.alloc(dev, 64, DType.F32, shape as never), "INVALID_ARGUMENT");
    rejects(() => pool.allocBatch(dev, [[64, DType.F32, shape as never]]), "INVALID_ARGUMENT");
    rejects(() => dev.allocBuffer(64, DType.F32, shape as never), "INVALID_ARGUMENT");
  });
});

describe("a shape that changes while it is read", () => {
  /** A 1-D shape whose extent reads -1 the first time and 16 after. */
  const flaky = () => {
    let reads = 0;
    return new Proxy([16], {
      get: (target, key, receiver) =>
        key === "0" && reads++ === 0 ? -1 : Reflect.get(target, key, receiver),
    });
  };
  it("is INVALID_ARGUMENT saying so, for alloc, allocBatch and allocBuffer alike", () => {
    for (const call of [
      () => pool.alloc(dev, 64, DType.F32, flaky()),
      () => pool.allocBatch(dev, [[64, DType.F32, flaky()]]),
      () => dev.allocBuffer(64, DType.F32, flaky()),
    ]) {
      const before = snapshot();
      const error = expectMlxError(call, "INVALID_ARGUMENT");
      expect(error.message).toContain("changed while it was read");
      expect(snapshot()).toEqual(before);
    }
  });
});

describe("bad buffers", () => {
  it("a buffer from another pool is INVALID_ARGUMENT", () => {
    rejects(() => pool.release(foreign), "INVALID_ARGUMENT");
    expect(foreign.stale).toBe(false);
  });

  it("a buffer from another device is INVALID_ARGUMENT for registerExisting and release", () => {
    rejects(() => pool.registerExisting(dev, foreignDevice), "INVALID_ARGUMENT");
    rejects(() => pool.release(foreignDevice), "INVALID_ARGUMENT");
  });

  it("a stale handle is STALE_BUFFER for every accessor and for release", () => {
    rejects(() => stale.bytes(), "STALE_BUFFER");
    rejects(() => stale.typed(), "STALE_BUFFER");
    rejects(() => stale.read(), "STALE_BUFFER");
    rejects(() => stale.write(new Uint8Array(1)), "STALE_BUFFER");
    rejects(() => pool.release(stale), "STALE_BUFFER");
    rejects(() => pool.registerExisting(dev, stale), "STALE_BUFFER");
  });

  it("a double release is STALE_BUFFER", () => {
    pool.release(live);
    const before = pool.stats();
    expectMlxError(() => pool.release(live), "STALE_BUFFER");
    expect(pool.stats()).toEqual(before);
  });

  it("not a buffer or not a device is INVALID_ARGUMENT", () => {
    rejects(() => pool.release({} as never), "INVALID_ARGUMENT");
    rejects(() => pool.alloc({} as never, 8, DType.U8, [8]), "INVALID_ARGUMENT");
    rejects(() => pool.registerExisting(dev, null as never), "INVALID_ARGUMENT");
  });

  it("reads and writes outside the buffer are INVALID_ARGUMENT", () => {
    rejects(() => live.read(120, 16), "INVALID_ARGUMENT");
    rejects(() => live.write(new Uint8Array(4), -1), "INVALID_ARGUMENT");
  });

  it("a fence that is not a thenable is INVALID_ARGUMENT", () => {
    rejects(() => pool.reset({ after: 1 as never }), "INVALID_ARGUMENT");
    rejects(() => pool.release(live, { after: "soon" as never }), "INVALID_ARGUMENT");
  });

  it("bad options are INVALID_ARGUMENT", () => {
    expectMlxError(() => new MlxBufferPool({ policy: "fibonacci" }), "INVALID_ARGUMENT");
    expectMlxError(() => new MlxBufferPool({ maxFreeBytes: -1 }), "INVALID_ARGUMENT");
    expectMlxError(() => new MlxBufferPool({ poison: 300 }), "INVALID_ARGUMENT");
  });
});

describe("use after dispose", () => {
  it("every pool entry point is DISPOSED, and dispose itself is idempotent", () => {
    const p = new MlxBufferPool();
    p.alloc(dev, 8, DType.U8, [8]);
    p.dispose();
    p.dispose();
    for (const call of [
      () => p.alloc(dev, 8, DType.U8, [8]),
      () => p.allocBatch(dev, []),
      () => p.reset(),
      () => p.clear(),
      () => p.registerExisting(dev, live),
      () => p.release(live),
    ]) {
      rejects(call, "DISPOSED");
    }
  });

  it("a device disposed after the pool used it is DISPOSED on a hit and on a miss", () => {
    const d = openDevice();
    const p = new MlxBufferPool();
    p.alloc(d, 64, DType.U8, [64]);
    p.reset();
    const before = p.stats();
    d.dispose();
    expectMlxError(() => p.alloc(d, 64, DType.U8, [64]), "DISPOSED"); // would be a hit
    expectMlxError(() => p.alloc(d, 4096, DType.U8, [4096]), "DISPOSED"); // would be a miss
    expect(p.stats()).toEqual(before);
    p.dispose();
  });

  it("a disposed device is DISPOSED for the pool and for itself", () => {
    const d = openDevice();
    const p = new MlxBufferPool();
    d.dispose();
    expectMlxError(() => p.alloc(d, 8, DType.U8, [8]), "DISPOSED");
    expectMlxError(() => d.allocBuffer(8, DType.U8, [8]), "DISPOSED");
    expect(p.stats().misses).toBe(0);
    p.dispose();
  });
});
