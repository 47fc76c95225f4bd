import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { replayTrace } from "../src/commands/replay.js";
import { SAMPLE_TRACE_PATH } from "../src/fixtures.js";
import { loadTrace, type Trace } from "../src/trace.js";
import { simulateSeed } from "./seed-model.js";

const sample = loadTrace(SAMPLE_TRACE_PATH);
const syntheticDir = join(SAMPLE_TRACE_PATH, "..", "synthetic");
const synthetic = readdirSync(syntheticDir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => [f, loadTrace(join(syntheticDir, f))] as const);

const SEED_FIELDS = [
  "allocs",
  "releases",
  "resets",
  "freshAllocations",
  "freshAfterWarmup",
  "peakLiveBytes",
  "peakHeldBytes",
  "footprintRatio",
] as const;

function pick(result: Record<string, unknown>) {
  return Object.fromEntries(SEED_FIELDS.map((k) => [k, result[k]]));
}

describe("replay under the seed policy", () => {
  it("matches an independent simulation of the seed on the sample trace", () => {
    const result = replayTrace(sample, { backend: "host" });
    const model = simulateSeed(sample);
    expect(pick(result as unknown as Record<string, unknown>)).toEqual(model);
    expect(result).toMatchObject({ preset: "seed", policy: "pow2", backend: "host", steps: 25 });
    expect(result.allocs).toBe(6882);
    expect(result.footprintRatio).toBeGreaterThan(1);
    // Timed for real: a finite figure, and an alloc takes far less than a millisecond.
    expect(Number.isFinite(result.nsPerAlloc)).toBe(true);
    expect(result.nsPerAlloc).toBeLessThan(1e6);
  });

  it("matches the simulation on every synthetic trace and with another warm-up", () => {
    for (const [, trace] of synthetic) {
      const result = replayTrace(trace, { backend: "host", warmupSteps: 1 });
      expect(pick(result as unknown as Record<string, unknown>)).toEqual(simulateSeed(trace, 1));
    }
  });

  it("counts resets and returns every live buffer on a reset", () => {
    const trace: Trace = {
      format: "mlx-pool-trace/1",
      steps: [
        [["a", 1, 1000], ["a", 2, 3000], ["r"]],
        [["a", 1, 900], ["a", 2, 2500], ["f", 1], ["r"]],
      ],
    };
    const result = replayTrace(trace, { backend: "host", warmupSteps: 1 });
    expect(result).toMatchObject({
      allocs: 4,
      releases: 1,
      resets: 2,
      freshAllocations: 2,
      freshAfterWarmup: 0,
    });
    expect(result).toMatchObject({ peakLiveBytes: 4000, peakHeldBytes: 1024 + 4096 });
    expect(pick(result as unknown as Record<string, unknown>)).toEqual(simulateSeed(trace, 1));
  });
});

describe("the lean preset (the arena)", () => {
  it.each(synthetic)("meets the goal on %s where the seed does not", (_, trace) => {
    const seed = replayTrace(trace, { backend: "host", preset: "seed" });
    const lean = replayTrace(trace, { backend: "host", preset: "lean" });
    expect(lean.policy).toBe("arena");
    expect(seed.footprintRatio).toBeGreaterThan(1.35);
    expect(lean.footprintRatio).toBeLessThanOrEqual(1.25);
    expect(lean.freshAfterWarmup).toBe(0);
    expect(lean.peakLiveBytes).toBe(seed.peakLiveBytes);
    // Slabs: far fewer native allocations at the peak than one per buffer.
    expect(lean.nativeAllocationsAtPeak).toBeGreaterThanOrEqual(1);
    expect(lean.nativeAllocationsAtPeak * 3).toBeLessThan(seed.nativeAllocationsAtPeak);
  });

  it("keeps the sample trace within the goal", () => {
    const lean = replayTrace(sample, { backend: "host", preset: "lean" });
    expect(lean.footprintRatio).toBeLessThanOrEqual(1.25);
    expect(lean.freshAfterWarmup).toBe(0);
  });

  it("holds at its peak exactly the slabs the pool made and still held", () => {
    const lean = replayTrace(sample, { backend: "host", preset: "lean" });
    expect(lean.freshAllocations).toBeGreaterThanOrEqual(lean.nativeAllocationsAtPeak);
    // With one slab per native allocation, held bytes are slab bytes: multiples of 16 KiB.
    expect(lean.peakHeldBytes % 16_384).toBe(0);
  });

  it("--policy arena gives the arena under any preset", () => {
    const result = replayTrace(sample, { backend: "host", preset: "divisions", policy: "arena" });
    expect(result.policy).toBe("arena");
  });
});

describe("the divisions preset", () => {
  it.each(synthetic)(
    "stays within 1.35 on %s with one native allocation per buffer",
    (_, trace) => {
      const divisions = replayTrace(trace, { backend: "host", preset: "divisions" });
      expect(divisions.footprintRatio).toBeLessThanOrEqual(1.35);
      expect(divisions.freshAfterWarmup).toBe(0);
    },
  );

  it("--policy overrides the preset's size policy", () => {
    const result = replayTrace(sample, { backend: "host", policy: "pow2-div4" });
    expect(result.policy).toBe("pow2-div4");
  });
});

describe("the series a chart draws", () => {
  const wide = loadTrace(join(syntheticDir, "wide-ffn.json"));

  it.each(["seed", "lean", "divisions"])(
    "records %s's native allocations after every op, the report's count at the held peak",
    (preset) => {
      const result = replayTrace(wide, { backend: "host", preset, recordSeries: true });
      const series = result.series!;
      expect(series.native.length).toBe(series.held.length);
      const peakOp = series.held.indexOf(result.peakHeldBytes);
      expect(peakOp).toBeGreaterThanOrEqual(0);
      expect(series.native[peakOp]).toBe(result.nativeAllocationsAtPeak);
      expect(Math.max(...series.native)).toBeLessThanOrEqual(result.freshAllocations);
      // Held bytes and held allocations are zero together: nothing held is nothing allocated.
      for (let i = 0; i < series.held.length; i++)
        expect(series.native[i] === 0).toBe(series.held[i] === 0);
      // The seed never frees: it ends holding every buffer it made.
      if (preset === "seed") expect(series.native.at(-1)).toBe(result.freshAllocations);
    },
  );

  it("records nothing per op unless asked", () => {
    expect(replayTrace(wide, { backend: "host", preset: "lean" }).series).toBeUndefined();
  });
});
