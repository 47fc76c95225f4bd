import {
  type BackendName,
  backendStatus,
  DType,
  type MlxBuffer,
  MlxBufferPool,
  MlxDevice,
} from "@mlx/pool";
import { deviceLabel } from "../device-label.js";
import { SAMPLE_TRACE_PATH } from "../fixtures.js";
import type { CommandIO } from "../io.js";
import { type Progress, startProgress } from "../progress.js";
import { measure, type Spread } from "../timing.js";
import { loadTrace } from "../trace.js";

export interface BenchOptions {
  /** Backends to measure; every available one by default. */
  backends?: string[];
  /** Timed repetitions of the pooled step (direct gets a tenth, at least 20). */
  repetitions?: number;
  /** Allocation sizes of one step; the sample trace's step 5 by default. */
  sizes?: number[];
}

export interface BackendBench {
  backend: string;
  device: string;
  allocsPerStep: number;
  /** ns per alloc, pooled alloc + reset (all hits after warm-up). */
  pooled: Spread;
  /** ns per alloc, direct exact-size allocBuffer + dispose. */
  direct: Spread;
  /** direct median / pooled median. */
  ratio: number;
}

/** Allocation sizes of one decode step of the sample trace (step 5: about 275 allocations). */
export function sampleStepSizes(step = 5): number[] {
  const ops = loadTrace(SAMPLE_TRACE_PATH).steps[step] ?? [];
  return ops.flatMap((op) => (op[0] === "a" ? [op[2]] : []));
}

/**
 * Measures one decode step's allocations on each backend: warm-up, then many repetitions, each
 * timed as a whole and divided by the allocation count; reports median and p10/p90.
 */
export function runBench(options: BenchOptions = {}, io?: CommandIO): BackendBench[] {
  const sizes = options.sizes ?? sampleStepSizes();
  const repetitions = options.repetitions ?? 2000;
  const backends =
    options.backends ??
    backendStatus()
      .filter((b) => b.available)
      .map((b) => b.name);
  const progress = io === undefined ? null : startProgress(io, "steps");
  try {
    const results = backends.map((b) => benchBackend(b, sizes, repetitions, progress));
    progress?.done();
    return results;
  } finally {
    progress?.stop();
  }
}

function benchBackend(
  backend: string,
  sizes: number[],
  repetitions: number,
  progress: Progress | null,
): BackendBench {
  const device = MlxDevice.open({ backend: backend as BackendName });
  const pool = new MlxBufferPool();
  const held: MlxBuffer[] = new Array(sizes.length);
  const pooledStep = () => {
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i] as number;
      // Kept until the step ends, as a caller keeps its buffers.
      held[i] = pool.alloc(device, n, DType.U8, [n]);
    }
    pool.reset();
  };
  const directStep = () => {
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i] as number;
      held[i] = device.allocBuffer(n, DType.U8, [n]);
    }
    for (let i = 0; i < sizes.length; i++) (held[i] as MlxBuffer).dispose();
  };
  try {
    const count = sizes.length;
    const pooledWarmup = Math.max(50, repetitions >> 4);
    progress?.phase(`${backend} pooled`, pooledWarmup + repetitions);
    const pooled = timeSteps(pooledStep, pooledWarmup, repetitions, count, progress);
    const directReps = Math.max(20, Math.floor(repetitions / 10));
    const directWarmup = Math.max(5, directReps >> 4);
    progress?.phase(`${backend} direct`, directWarmup + directReps);
    const direct = timeSteps(directStep, directWarmup, directReps, count, progress);
    return {
      backend: device.backend,
      device: device.name,
      allocsPerStep: sizes.length,
      pooled,
      direct,
      ratio: direct.median / pooled.median,
    };
  } finally {
    pool.dispose();
    device.dispose();
  }
}

/** ns per alloc of `step`, timed a whole step at a time. */
function timeSteps(
  step: () => void,
  warmup: number,
  repetitions: number,
  allocsPerStep: number,
  progress: Progress | null,
): Spread {
  const sample = () => {
    step();
    return allocsPerStep;
  };
  // The bar's own cost stays out of the timed region; every 32 samples keeps it out of the caches too.
  const onProgress =
    progress === null
      ? undefined
      : (done: number) => {
          if ((done & 31) === 0) progress.update(done);
        };
  const { median, p10, p90 } = measure(sample, { warmup, samples: repetitions, onProgress });
  return { median, p10, p90 };
}

export function formatBench(results: readonly BackendBench[]): string[] {
  const lines: string[] = [];
  const f = (s: Spread) =>
    `${s.median.toFixed(0)} ns/alloc (p10 ${s.p10.toFixed(0)}, p90 ${s.p90.toFixed(0)})`;
  for (const r of results) {
    lines.push(
      `${deviceLabel(r.backend, r.device)}, ${r.allocsPerStep} allocations per step:`,
      `  pooled alloc + reset     ${f(r.pooled)}`,
      `  direct alloc + destroy   ${f(r.direct)}`,
      `  pooled is ${r.ratio.toFixed(1)}x faster (median)`,
    );
  }
  return lines;
}
