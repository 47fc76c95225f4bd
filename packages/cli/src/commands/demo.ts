import { writeFileSync } from "node:fs";
import { type DeviceOptions, DType, type MlxBuffer, MlxBufferPool, MlxDevice } from "@mlx/pool";
import { formatBytes } from "../chart.js";
import { deviceLabel } from "../device-label.js";
import { SAMPLE_TRACE_PATH } from "../fixtures.js";
import { type CommandIO, UsageError } from "../io.js";
import { presetOptions } from "../presets.js";
import { startProgress } from "../progress.js";
import { checkChartTarget } from "../replay-chart.js";
import { quantile } from "../timing.js";
import { loadTrace, type Trace, type TraceOp } from "../trace.js";
import { playStep } from "../trace-player.js";

export interface DemoOptions {
  backend?: DeviceOptions["backend"];
  tokens?: number;
  preset?: string;
  /** Trace whose steps are the tokens; the sample decode by default. */
  trace?: Trace;
  /** File to write the pooled loop's recording to (`MlxBufferPool.startTrace`), for `replay`. */
  record?: string;
}

export interface DemoResult {
  backend: string;
  deviceName: string;
  preset: string;
  tokens: number;
  allocations: number;
  hits: number;
  hitRate: number;
  freshAllocations: number;
  freshAfterWarmup: number;
  peakLiveBytes: number;
  peakHeldBytes: number;
  /** Whether the device keeps a residency set (commits are counted only then). */
  residency: boolean;
  residencyCommits: number;
  pooledMs: number;
  directMs: number;
  /** Median time of one token after warm-up, pooled and direct. */
  pooledUsPerToken: number;
  directUsPerToken: number;
  /** Steady-state speed ratio: direct over pooled median token time (all tokens when too few). */
  speedup: number;
  /** Where the pooled loop's trace was written (`--record`), else null. */
  recordedTrace: string | null;
}

export const DEFAULT_DEMO_TOKENS = 64;
/** Tokens from which the demo counts fresh allocations as "after warm-up". */
const WARMUP_TOKENS = 3;

/**
 * A decode loop: token 0 replays the trace's prefill, later tokens cycle through its decode
 * steps. Each token allocates what the step allocates, releases what it frees, and ends with
 * `reset()`; buffers the trace keeps across steps (a KV cache) are returned by that reset, so a
 * later free of them is skipped. Then the same loop with exact-size `allocBuffer` + `dispose`.
 */
export function runDemo(options: DemoOptions, io: CommandIO): DemoResult {
  const tokens = options.tokens ?? DEFAULT_DEMO_TOKENS;
  if (!Number.isSafeInteger(tokens) || tokens < 1)
    throw new UsageError(`--tokens must be a positive integer, got ${String(options.tokens)}`);
  const trace = options.trace ?? loadTrace(SAMPLE_TRACE_PATH);
  if (trace.steps.length === 0) throw new UsageError("the demo trace has no steps");
  const record = options.record;
  if (record !== undefined) checkChartTarget(record, "--record");
  const preset = options.preset ?? "seed";
  const device = MlxDevice.open({ backend: options.backend ?? "auto" });
  const pool = new MlxBufferPool(presetOptions(preset));
  const bar = startProgress(io, "tokens");
  try {
    const stepOf = (token: number) => stepForToken(trace, token);
    bar.phase("pooled", tokens);
    let missesAtWarm = 0;
    const pooledTokenMs = new Float64Array(tokens);
    if (record !== undefined) pool.startTrace();
    for (let token = 0; token < tokens; token++) {
      if (token === WARMUP_TOKENS) missesAtWarm = pool.stats().misses;
      const start = performance.now();
      playStep(stepOf(token), new Map<number, MlxBuffer>(), {
        alloc: (bytes) => pool.alloc(device, bytes, DType.U8, [bytes]),
        free: (buffer) => pool.release(buffer),
      });
      pool.reset();
      pooledTokenMs[token] = performance.now() - start;
      if ((token & 15) === 0) bar.update(token);
    }
    const stats = pool.stats();
    if (record !== undefined) writeFileSync(record, `${JSON.stringify(pool.stopTrace())}\n`);

    bar.phase("direct", tokens);
    const directTokenMs = new Float64Array(tokens);
    for (let token = 0; token < tokens; token++) {
      const start = performance.now();
      const leftovers = new Map<number, MlxBuffer>();
      playStep(stepOf(token), leftovers, {
        alloc: (bytes) => device.allocBuffer(bytes, DType.U8, [bytes]),
        free: (buffer) => buffer.dispose(),
      });
      for (const buffer of leftovers.values()) buffer.dispose();
      directTokenMs[token] = performance.now() - start;
      if ((token & 15) === 0) bar.update(token);
    }
    bar.done();
    const pooledMs = pooledTokenMs.reduce((a, b) => a + b, 0);
    const directMs = directTokenMs.reduce((a, b) => a + b, 0);
    const steady = tokens > WARMUP_TOKENS ? WARMUP_TOKENS : 0;
    const pooledUsPerToken = 1000 * medianOf(pooledTokenMs.subarray(steady));
    const directUsPerToken = 1000 * medianOf(directTokenMs.subarray(steady));
    const allocations = stats.hits + stats.misses;
    return {
      backend: device.backend,
      deviceName: device.name,
      preset,
      tokens,
      allocations,
      hits: stats.hits,
      hitRate: allocations === 0 ? 0 : stats.hits / allocations,
      freshAllocations: stats.misses,
      freshAfterWarmup: tokens > WARMUP_TOKENS ? stats.misses - missesAtWarm : 0,
      peakLiveBytes: stats.peakInUseBytes,
      peakHeldBytes: stats.peakHeldBytes,
      residency: device.residencySetsEnabled,
      residencyCommits: stats.residencyCommits,
      pooledMs,
      directMs,
      pooledUsPerToken,
      directUsPerToken,
      speedup:
        pooledUsPerToken === 0 ? Number.POSITIVE_INFINITY : directUsPerToken / pooledUsPerToken,
      recordedTrace: record ?? null,
    };
  } finally {
    bar.stop();
    pool.dispose();
    device.dispose();
  }
}

function medianOf(values: Float64Array): number {
  return values.length === 0 ? 0 : quantile(values, 0.5);
}

/** Token 0 is the prefill (step 0); later tokens cycle through the decode steps 1..n-1. */
export function stepForToken(trace: Trace, token: number): readonly TraceOp[] {
  const decodeSteps = trace.steps.length - 1;
  const index = token === 0 || decodeSteps === 0 ? 0 : 1 + ((token - 1) % decodeSteps);
  return trace.steps[index] as readonly TraceOp[];
}

export function formatDemo(r: DemoResult): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `mlx-pool demo: ${r.tokens} tokens on ${deviceLabel(r.backend, r.deviceName)}, preset ${r.preset}`,
    `  allocations        ${r.allocations} (${(r.allocations / r.tokens).toFixed(0)} per token)`,
    `  hit rate           ${pct(r.hitRate)} (${r.freshAllocations} fresh, ${r.freshAfterWarmup} after warm-up)`,
    `  peak held / live   ${formatBytes(r.peakHeldBytes)} / ${formatBytes(r.peakLiveBytes)} (x${(r.peakHeldBytes / Math.max(1, r.peakLiveBytes)).toFixed(2)}; PyTorch: reserved / allocated, MLX: cache + active / active)`,
    ...(r.residency ? [`  residency commits  ${r.residencyCommits}`] : []),
    `  pooled             ${r.pooledMs.toFixed(1)} ms in all; a token after warm-up ${r.pooledUsPerToken.toFixed(1)} µs (median)`,
    `  direct alloc+free  ${r.directMs.toFixed(1)} ms in all; a token after warm-up ${r.directUsPerToken.toFixed(1)} µs (median)`,
    `  pooled is ${r.speedup.toFixed(1)}x faster per token after warm-up (${(r.directMs / Math.max(1e-9, r.pooledMs)).toFixed(1)}x over the whole run, prefill included)`,
    ...(r.recordedTrace === null
      ? []
      : [
          `  recorded           ${r.recordedTrace} (pooled timings include the recording; mlx-pool replay ${r.recordedTrace} plays it back)`,
        ]),
  ];
}
