// Soak and fault tests. Short counts here; `pnpm test:soak` runs the full ones (MLX_SOAK=full).
import { liveNativeBuffers } from "@mlx/metal-native";
import { setAllocationFaultAfter } from "@mlx/metal-native/test-hooks";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DType, type MlxBuffer, MlxBufferPool } from "../../src/index.js";
import { expectMlxError, openDevice } from "../helpers.js";
import { full, settledRssMiB } from "./scale.js";

const timeout = full ? 600_000 : 60_000;

describe("soak", () => {
  it(
    `${full ? "a million" : "100k"} alloc/reset cycles keep resident memory bounded`,
    () => {
      const cycles = full ? 1_000_000 : 100_000;
      const dev = openDevice();
      const pool = new MlxBufferPool();
      const sizes = [8, 512, 1536, 4096, 65_536];
      for (let i = 0; i < 1000; i++) {
        for (const n of sizes) pool.alloc(dev, n, DType.U8, [n]);
        pool.reset();
      }
      const start = settledRssMiB();
      const held = pool.stats().heldCount;
      for (let i = 0; i < cycles; i++) {
        const n = sizes[i % sizes.length] as number;
        pool.alloc(dev, n, DType.U8, [n]);
        if (i % 3 === 2) pool.reset();
      }
      pool.reset();
      const growth = settledRssMiB() - start;
      expect(pool.stats().heldCount).toBe(held);
      expect(growth).toBeLessThan(64);
      pool.dispose();
      dev.dispose();
    },
    timeout,
  );

  it(
    `${full ? "10000" : "1000"} allocate-large/clear cycles return RSS near its start`,
    () => {
      const cycles = full ? 10_000 : 1_000;
      const dev = openDevice();
      const pool = new MlxBufferPool();
      const liveAtStart = liveNativeBuffers();
      const start = settledRssMiB();
      let peak = start;
      for (let i = 0; i < cycles; i++) {
        const b = pool.alloc(dev, 4 << 20, DType.U8, [4 << 20]);
        b.bytes().fill(1); // touch every page so the memory is really resident
        pool.reset();
        pool.clear();
        if (i % 100 === 0) peak = Math.max(peak, settledRssMiB());
      }
      // Freed now, not at garbage collection: no growth of cycles × 4 MiB.
      expect(settledRssMiB() - start).toBeLessThan(48);
      expect(peak - start).toBeLessThan(64);
      expect(liveNativeBuffers().bytes).toBe(liveAtStart.bytes);
      expect(pool.stats()).toMatchObject({ heldCount: 0, destroyed: cycles });
      pool.dispose();
      dev.dispose();
    },
    timeout,
  );

  it(
    "an allocation failure mid-allocBatch leaves no half-registered buffers and leaks nothing",
    () => {
      const rounds = full ? 5000 : 500;
      const dev = openDevice();
      const pool = new MlxBufferPool();
      const kept = pool.alloc(dev, 128 << 10, DType.U8, [128 << 10]);
      pool.release(kept);
      const before = { pool: pool.stats(), residency: dev.residencyStats() };
      const liveBefore = liveNativeBuffers();
      const batch = Array.from({ length: 6 }, () => [128 << 10, DType.U8, [128 << 10]] as const);
      try {
        for (let i = 0; i < rounds; i++) {
          // One reused buffer, then fresh ones; the fourth native allocation fails.
          setAllocationFaultAfter(3);
          const error = expectMlxError(() => pool.allocBatch(dev, batch), "BUFFER_ALLOCATION");
          expect(error.bytes).toBe(128 << 10);
          expect(pool.stats()).toEqual(before.pool);
          expect(dev.residencyStats()).toEqual(before.residency);
        }
      } finally {
        setAllocationFaultAfter(null);
      }
      // Three fresh buffers were allocated in every round before the fault: every one was freed
      // again, counted exactly by the native layer (RSS would only blur this).
      expect(liveNativeBuffers()).toEqual(liveBefore);
      expect(pool.allocBatch(dev, batch)).toHaveLength(6);
      pool.dispose();
      dev.dispose();
    },
    timeout,
  );

  it(
    "the cache limit holds under a random workload",
    () => {
      const maxFreeBytes = 1 << 20;
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.integer({ min: 1, max: 600_000 }).map((n) => ({ kind: "alloc" as const, n })),
              fc.nat().map((pick) => ({ kind: "release" as const, pick })),
              fc.constant({ kind: "reset" as const }),
            ),
            { maxLength: full ? 2000 : 300 },
          ),
          (ops) => {
            const dev = openDevice();
            const pool = new MlxBufferPool({ maxFreeBytes, policy: "pow2-div4" });
            const live: MlxBuffer[] = [];
            for (const op of ops) {
              if (op.kind === "alloc") live.push(pool.alloc(dev, op.n, DType.U8, [op.n]));
              else if (op.kind === "release" && live.length > 0)
                pool.release(live.splice(op.pick % live.length, 1)[0] as MlxBuffer);
              else if (op.kind === "reset") {
                pool.reset();
                live.length = 0;
              }
              const s = pool.stats();
              expect(s.freeBytes).toBeLessThanOrEqual(maxFreeBytes);
              expect(s.heldBytes).toBe(live.reduce((sum, b) => sum + b.capacity, 0) + s.freeBytes);
              if (dev.residencySetsEnabled)
                expect(dev.residencyStats().allocationCount).toBe(s.heldCount);
            }
            pool.dispose();
            dev.dispose();
          },
        ),
        { numRuns: full ? 200 : 40 },
      );
    },
    timeout,
  );
});
