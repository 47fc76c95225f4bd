// The pool on the real Metal backend: device open, zero-filled shared buffers, residency
// membership and commit counts through the real MTLResidencySet (macOS 15+), registerExisting,
// clear and dispose, MLX_NO_RESIDENCY=1, and the residency-off path below macOS 15.
// Runs on Apple Silicon (the hosted workflow's macos-15 and macos-14 jobs run it with
// MLX_BACKEND=metal) and against the fake Metal runtime on Linux; everywhere else it skips and
// prints why.
import { release } from "node:os";
import { backendStatus } from "@mlx/metal-native";
import { afterEach, describe, expect, it } from "vitest";
import { DType, MlxBufferPool, MlxDevice, resetResidencyEnvCache } from "../src/index.js";

const metal = backendStatus().find((b) => b.name === "metal");
const metalAvailable = metal?.available === true;
if (!metalAvailable) {
  console.log(`metal.test.ts skipped: Metal unavailable: ${metal?.reason ?? "not built"}`);
}

/** macOS major version from the Darwin kernel release (Darwin 24 = macOS 15, 23 = macOS 14). */
function macOSMajor(): number | null {
  if (process.platform !== "darwin") return null;
  const darwin = Number.parseInt(release().split(".")[0] ?? "", 10);
  return Number.isFinite(darwin) ? darwin - 9 : null;
}
const macOS = macOSMajor();
// The fake Metal runtime on Linux (MLX_METAL_FAKE=1, scripts/metal-fake/run.sh) is a macOS 15 GPU.
const fakeMetal = process.platform !== "darwin" && process.env.MLX_METAL_FAKE === "1";
const residencyExpected = fakeMetal || (macOS !== null && macOS >= 15);
if (metalAvailable) {
  console.log(
    `metal.test.ts: macOS ${macOS} (Darwin ${release()}); expecting residency ${residencyExpected ? "on" : "off"}`,
  );
}

const opened: MlxDevice[] = [];
function metalDevice(options: { residency?: boolean } = {}): MlxDevice {
  const dev = MlxDevice.open({ backend: "metal", ...options });
  opened.push(dev);
  return dev;
}

describe.skipIf(!metalAvailable)("metal: device and buffers", () => {
  afterEach(() => {
    for (const dev of opened.splice(0)) dev.dispose();
  });

  it("opens the system default Metal device with unified memory", () => {
    const dev = metalDevice();
    expect(dev.backend).toBe("metal");
    expect(dev.name.length).toBeGreaterThan(0);
    expect(dev.hasUnifiedMemory).toBe(true);
    expect(dev.maxBufferLength).toBeGreaterThan(1 << 30);
    expect(dev.recommendedMaxWorkingSetSize).toBeGreaterThan(0);
    console.log(
      `metal device: ${dev.name}; residency ${dev.residencySetsEnabled ? "on" : `off (${dev.residencyDisabledReason})`}`,
    );
  });

  it("fresh buffers are zero-filled shared memory; a reused one is the same memory", () => {
    const dev = metalDevice();
    const pool = new MlxBufferPool();
    const sizes = [1, 1000, 4096, 1 << 20, (1 << 22) + 3];
    const buffers = sizes.map((n) => pool.alloc(dev, n, DType.U8, [n]));
    for (const b of buffers) {
      expect(b.bytes().byteLength).toBe(b.byteLength);
      expect(b.bytes().every((x) => x === 0)).toBe(true);
    }
    const floats = pool.alloc(dev, 1000, DType.F32, [250]);
    expect(floats.capacity).toBe(1024);
    (floats.typed() as Float32Array).fill(1.5);
    expect(floats.bytes().subarray(0, 4)).toEqual(new Uint8Array([0, 0, 192, 63]));
    const address = floats.address;
    pool.reset();
    const again = pool.alloc(dev, 1000, DType.F32, [250]);
    expect(again.address).toBe(address);
    expect((again.typed() as Float32Array)[0]).toBe(1.5); // reused buffers are not re-zeroed
    pool.dispose();
  });

  it("an exact-size device buffer is zero-filled and keeps its length", () => {
    const dev = metalDevice();
    const b = dev.allocBuffer(12_345, DType.U8, [12_345]);
    expect(b.byteLength).toBe(12_345);
    expect(b.capacity).toBe(12_345);
    expect(b.bytes().every((x) => x === 0)).toBe(true);
  });
});

describe.skipIf(!metalAvailable || !residencyExpected)(
  "metal: residency through MTLResidencySet (macOS 15+)",
  () => {
    afterEach(() => {
      for (const dev of opened.splice(0)) dev.dispose();
    });

    it("residency is on", () => {
      const dev = metalDevice();
      expect(dev.residencyDisabledReason).toBeNull();
      expect(dev.residencySetsEnabled).toBe(true);
      expect(dev.residencyStats()).toEqual({ enabled: true, allocationCount: 0, commitCount: 0 });
    });

    it("a fresh alloc adds one allocation with one commit; a hit commits nothing", () => {
      const dev = metalDevice();
      const pool = new MlxBufferPool();
      const before = dev.residencyStats();
      pool.alloc(dev, 3000, DType.U8, [3000]);
      expect(dev.residencyStats()).toEqual({
        enabled: true,
        allocationCount: before.allocationCount + 1,
        commitCount: before.commitCount + 1,
      });
      pool.reset();
      pool.alloc(dev, 2500, DType.U8, [2500]);
      expect(dev.residencyStats()).toEqual({
        enabled: true,
        allocationCount: before.allocationCount + 1,
        commitCount: before.commitCount + 1,
      });
      expect(pool.stats().residencyCommits).toBe(1);
      pool.dispose();
    });

    it("allocBatch: one commit for the batch, none for an empty batch", () => {
      const dev = metalDevice();
      const pool = new MlxBufferPool();
      const before = dev.residencyStats();
      expect(pool.allocBatch(dev, [])).toEqual([]);
      expect(dev.residencyStats()).toEqual(before);
      const batch = pool.allocBatch(dev, [
        [100, DType.U8, [100]],
        [4000, DType.F32, [1000]],
        [1 << 20, DType.U8, [1 << 20]],
        [100, DType.U8, [100]],
      ]);
      expect(new Set(batch.map((b) => b.address)).size).toBe(4);
      expect(dev.residencyStats()).toEqual({
        enabled: true,
        allocationCount: before.allocationCount + 4,
        commitCount: before.commitCount + 1,
      });
      pool.dispose();
    });

    it("registerExisting on an exact-size buffer: a member already, idempotent, never recycled", () => {
      const dev = metalDevice();
      const weights = dev.allocBuffer(3000, DType.U8, [3000]);
      expect(weights.capacity).toBe(3000);
      weights.bytes().fill(7);
      const afterWeights = dev.residencyStats();
      expect(afterWeights.allocationCount).toBe(1);
      expect(afterWeights.commitCount).toBe(1);
      const pool = new MlxBufferPool();
      pool.registerExisting(dev, weights);
      pool.registerExisting(dev, weights);
      expect(dev.residencyStats()).toEqual(afterWeights);
      pool.reset();
      expect(pool.freeCount()).toBe(0);
      const scratch = pool.alloc(dev, 3000, DType.U8, [3000]);
      expect(scratch.address).not.toBe(weights.address);
      pool.dispose();
      expect(dev.residencyStats().allocationCount).toBe(1);
      expect(weights.stale).toBe(false);
      expect(weights.bytes().every((x) => x === 7)).toBe(true);
    });

    it("clear removes every free allocation with one commit; dispose removes the rest", () => {
      const dev = metalDevice();
      const baseline = dev.residencyStats();
      const pool = new MlxBufferPool();
      const live = pool.alloc(dev, 64, DType.U8, [64]);
      const freed = pool.allocBatch(dev, [
        [128, DType.U8, [128]],
        [256, DType.U8, [256]],
        [512, DType.U8, [512]],
      ]);
      for (const b of freed) pool.release(b);
      const beforeClear = dev.residencyStats();
      expect(beforeClear.allocationCount).toBe(baseline.allocationCount + 4);
      pool.clear();
      expect(dev.residencyStats()).toEqual({
        enabled: true,
        allocationCount: baseline.allocationCount + 1,
        commitCount: beforeClear.commitCount + 1,
      });
      expect(pool.freeCount()).toBe(0);
      expect(freed.every((b) => b.stale)).toBe(true);
      pool.clear(); // nothing to remove: no commit
      expect(dev.residencyStats().commitCount).toBe(beforeClear.commitCount + 1);

      pool.alloc(dev, 1 << 16, DType.U8, [1 << 16]);
      pool.reset();
      const beforeDispose = dev.residencyStats();
      expect(beforeDispose.allocationCount).toBe(baseline.allocationCount + 2);
      pool.dispose();
      expect(dev.residencyStats()).toEqual({
        enabled: true,
        allocationCount: baseline.allocationCount,
        commitCount: beforeDispose.commitCount + 1,
      });
      expect(live.stale).toBe(true);
    });
  },
);

describe.skipIf(!metalAvailable)("metal: residency off", () => {
  afterEach(() => {
    for (const dev of opened.splice(0)) dev.dispose();
  });

  it.skipIf(residencyExpected)("below macOS 15, residency reports off with the reason", () => {
    const dev = metalDevice();
    expect(dev.residencySetsEnabled).toBe(false);
    expect(dev.residencyDisabledReason).toMatch(/macOS 15/);
    console.log(`macOS ${macOS}: residency off: ${dev.residencyDisabledReason}`);
    const pool = new MlxBufferPool();
    const b = pool.alloc(dev, 1000, DType.U8, [1000]);
    expect(b.bytes().every((x) => x === 0)).toBe(true);
    pool.registerExisting(dev, dev.allocBuffer(64, DType.U8, [64])); // a no-op without residency
    expect(dev.residencyStats()).toEqual({ enabled: false, allocationCount: 0, commitCount: 0 });
    expect(pool.stats().residencyCommits).toBe(0);
    pool.dispose();
  });

  it("MLX_NO_RESIDENCY=1 turns residency off; buffers still work", () => {
    const saved = process.env.MLX_NO_RESIDENCY;
    process.env.MLX_NO_RESIDENCY = "1";
    resetResidencyEnvCache();
    try {
      const dev = metalDevice();
      expect(dev.residencySetsEnabled).toBe(false);
      expect(dev.residencyDisabledReason).toMatch(/MLX_NO_RESIDENCY/);
      const pool = new MlxBufferPool();
      const batch = pool.allocBatch(dev, [
        [100, DType.U8, [100]],
        [4000, DType.F32, [1000]],
      ]);
      expect(batch.every((b) => b.bytes().every((x) => x === 0))).toBe(true);
      pool.registerExisting(dev, dev.allocBuffer(64, DType.U8, [64]));
      expect(dev.residencyStats()).toEqual({ enabled: false, allocationCount: 0, commitCount: 0 });
      expect(pool.stats()).toMatchObject({ residencyCommits: 0 });
      pool.dispose();
    } finally {
      if (saved === undefined) delete process.env.MLX_NO_RESIDENCY;
      else process.env.MLX_NO_RESIDENCY = saved;
      resetResidencyEnvCache();
    }
  });

  it("{ residency: false } opens without a set", () => {
    const dev = metalDevice({ residency: false });
    expect(dev.residencySetsEnabled).toBe(false);
    expect(dev.residencyDisabledReason).toMatch(/residency: false/);
  });
});
