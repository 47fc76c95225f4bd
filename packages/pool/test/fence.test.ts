// Fenced reset and release: buffers join the free lists only after the GPU work settles.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DType, type MlxBuffer, MlxBufferPool } from "../src/index.js";
import {
  devicesDisposedAfterEach,
  expectMlxError,
  manualFence,
  openDevice,
  settle,
} from "./helpers.js";

const device = devicesDisposedAfterEach();

describe("fenced reset and release", () => {
  it("a fenced reset makes handles stale now and recycles only after the fence resolves", async () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 4096, DType.U8, [4096]);
    const fence = manualFence();
    pool.reset({ after: fence.promise });
    expect(a.stale).toBe(true);
    expect(pool.stats()).toMatchObject({ pendingCount: 1, pendingBytes: 4096, freeCount: 0 });
    const b = pool.alloc(dev, 4096, DType.U8, [4096]);
    expect(b.address).not.toBe(a.address);
    fence.resolve();
    await settle();
    expect(pool.stats()).toMatchObject({ pendingCount: 0, freeCount: 1 });
    expect(pool.alloc(dev, 4096, DType.U8, [4096]).address).toBe(a.address);
    pool.dispose();
  });

  it("a rejected fence keeps buffers out of circulation, says so in stats, and clear frees them", async () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 256, DType.U8, [256]);
    const view = a.bytes();
    const fence = manualFence();
    pool.release(a, { after: fence.promise });
    fence.reject(new Error("command buffer error"));
    await settle();
    expect(pool.stats()).toMatchObject({
      quarantinedCount: 1,
      quarantinedBytes: 256,
      freeCount: 0,
    });
    expect(pool.alloc(dev, 256, DType.U8, [256]).address).not.toBe(a.address);
    expect(view.byteLength).toBe(256); // still allocated: the GPU may still be using it
    pool.clear();
    expect(view.byteLength).toBe(0);
    expect(pool.stats().quarantinedCount).toBe(0);
    pool.dispose();
  });

  it("dispose never frees memory a pending fence protects; it frees it once the fence settles", async () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 256, DType.U8, [256]);
    const view = a.bytes();
    const fence = manualFence();
    pool.reset({ after: fence.promise });
    pool.dispose();
    expect(view.byteLength).toBe(256);
    fence.resolve();
    await settle();
    expect(view.byteLength).toBe(0);
    if (dev.residencySetsEnabled) expect(dev.residencyStats().allocationCount).toBe(0);
  });

  it("a fence that is not a thenable is INVALID_ARGUMENT and changes nothing", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 64, DType.U8, [64]);
    const before = pool.stats();
    expectMlxError(() => pool.reset({ after: 5 as never }), "INVALID_ARGUMENT");
    expectMlxError(() => pool.release(a, { after: {} as never }), "INVALID_ARGUMENT");
    expectMlxError(() => pool.reset(7 as never), "INVALID_ARGUMENT");
    expect(pool.stats()).toEqual(before);
    expect(a.stale).toBe(false);
    pool.dispose();
  });

  it("a host device's fence is already settled", async () => {
    const dev = device();
    if (dev.backend !== "host") return;
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 64, DType.U8, [64]);
    pool.reset({ after: dev.fence() });
    await settle();
    expect(pool.alloc(dev, 64, DType.U8, [64]).address).toBe(a.address);
    pool.dispose();
  });
});

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "release"; pick: number; fenced: boolean }
  | { kind: "reset"; fenced: boolean }
  | { kind: "resolve"; pick: number }
  | { kind: "reject"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .constantFrom(8, 100, 1024, 4000)
      .map((size) => ({ kind: "alloc" as const, size })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("release" as const),
      pick: fc.nat(),
      fenced: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("reset" as const), fenced: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("resolve" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reject" as const), pick: fc.nat() }) },
);

describe("fences against a model", () => {
  it("never reissues a buffer whose fence has not resolved", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 50 }), async (ops) => {
        const dev = openDevice();
        const pool = new MlxBufferPool();
        const live: MlxBuffer[] = [];
        /** Unsettled fences and the addresses each protects. */
        const fences: { fence: ReturnType<typeof manualFence>; addresses: bigint[] }[] = [];
        const protectedAddresses = () => new Set(fences.flatMap((f) => f.addresses));
        try {
          for (const step of ops) {
            if (step.kind === "alloc") {
              const b = pool.alloc(dev, step.size, DType.U8, [step.size]);
              expect(protectedAddresses().has(b.address)).toBe(false);
              live.push(b);
            } else if (step.kind === "release" && live.length > 0) {
              const [b] = live.splice(step.pick % live.length, 1) as [MlxBuffer];
              if (step.fenced) {
                const fence = manualFence();
                fences.push({ fence, addresses: [b.address] });
                pool.release(b, { after: fence.promise });
              } else {
                pool.release(b);
              }
            } else if (step.kind === "reset") {
              const addresses = live.splice(0).map((b) => b.address);
              if (step.fenced) {
                const fence = manualFence();
                fences.push({ fence, addresses });
                pool.reset({ after: fence.promise });
              } else {
                pool.reset();
              }
            } else if ((step.kind === "resolve" || step.kind === "reject") && fences.length > 0) {
              const [entry] = fences.splice(step.pick % fences.length, 1);
              if (step.kind === "resolve") entry?.fence.resolve();
              else entry?.fence.reject(new Error("gpu fault"));
              await settle();
            }
            const stats = pool.stats();
            expect(stats.inUseCount).toBe(live.length);
            expect(stats.heldCount).toBe(
              stats.inUseCount + stats.freeCount + stats.pendingCount + stats.quarantinedCount,
            );
            expect(stats.pendingCount).toBe(fences.reduce((s, f) => s + f.addresses.length, 0));
          }
        } finally {
          for (const { fence } of fences) fence.resolve();
          await settle();
          pool.dispose();
          dev.dispose();
        }
      }),
      { numRuns: 100 },
    );
  });
});
