import {
  type DeviceOptions,
  DType,
  type MlxBuffer,
  MlxBufferPool,
  MlxDevice,
  type PoolOptions,
  SIZE_POLICY_NAMES,
  type SizePolicy,
} from "@mlx/pool";
import { UsageError } from "../io.js";
import { presetOptions } from "../presets.js";
import { quantile } from "../timing.js";
import { type Trace, TraceError, type TraceOp } from "../trace.js";
import { playStep, type TraceActions } from "../trace-player.js";

export interface ReplayOptions {
  /** Named configuration (`seed` by default); `policy` overrides its size policy. */
  preset?: string;
  /** Size policy name (`pow2`, `pow2-div4`, ..., or `arena`). */
  policy?: string;
  /** Steps before this index are warm-up for `freshAfterWarmup`. Default 3. */
  warmupSteps?: number;
  /** Device to replay on; otherwise one is opened on `backend` and disposed afterwards. */
  device?: MlxDevice;
  backend?: DeviceOptions["backend"];
  /** Record held and live bytes and native allocations held after every op (for charts). */
  recordSeries?: boolean;
  /** Explicit pool options, instead of the preset's (for tuning scripts). */
  poolOptions?: PoolOptions;
  /** Called after each step of both passes (the untimed warm-up, then the timed one). */
  onProgress?: (pass: ReplayPass, opsDone: number) => void;
}

export type ReplayPass = "warm-up" | "timed";

/** What the pool held after each op: `held[i]`, `live[i]`, `native[i]` after op `i` of the whole trace. */
export interface ReplaySeries {
  label: string;
  held: Float64Array;
  live: Float64Array;
  /** Native allocations held (in use and free): buffers, or slabs under the arena. */
  native: Uint32Array;
  /** Index of the first op of each step. */
  stepStarts: number[];
}

/** The replay report's fields (see the trace format), plus the configuration and pool counters that explain them. */
export interface ReplayResult {
  preset: string;
  policy: string;
  backend: string;
  steps: number;
  warmupSteps: number;
  allocs: number;
  releases: number;
  resets: number;
  freshAllocations: number;
  freshAfterWarmup: number;
  hits: number;
  evictions: number;
  peakLiveBytes: number;
  peakHeldBytes: number;
  /** Native allocations the pool held when it held `peakHeldBytes` (slabs under the arena). */
  nativeAllocationsAtPeak: number;
  footprintRatio: number;
  /** Median over the timed steps of the step's wall time per allocation (see `timeAllocs`). */
  nsPerAlloc: number;
  series?: ReplaySeries;
}

/** Pool options for a preset, with `policy` (when given) replacing the preset's size policy. */
export function replayPoolOptions(preset: string, policy?: string): PoolOptions {
  const options = presetOptions(preset);
  if (policy === undefined) return options;
  // The arena takes no size-class tuning: it replaces the preset's options whole.
  if (policy === "arena") return { policy };
  if (!(SIZE_POLICY_NAMES as readonly string[]).includes(policy)) {
    throw new UsageError(
      `unknown policy ${JSON.stringify(policy)}; known: ${SIZE_POLICY_NAMES.join(", ")}, arena`,
    );
  }
  if (options.policy === "arena") return { policy };
  return { ...options, policy };
}

/**
 * Drives a real `MlxBufferPool` over a validated trace. Counts, peaks and series come from one
 * untimed pass that reads the pool's stats after every op; `nsPerAlloc` from passes of their
 * own that do nothing else (see `timeAllocs`), so recording never slows what is timed.
 */
export function replayTrace(trace: Trace, options: ReplayOptions = {}): ReplayResult {
  const preset = options.preset ?? "seed";
  const warmupSteps = options.warmupSteps ?? 3;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new Error(
      `warmup steps must be a non-negative integer, got ${String(options.warmupSteps)}`,
    );
  }
  const poolOptions = options.poolOptions ?? replayPoolOptions(preset, options.policy);
  const device = options.device ?? MlxDevice.open({ backend: options.backend ?? "auto" });
  try {
    const sizing = new MlxBufferPool(poolOptions);
    const policy = sizing.policy;
    sizing.dispose();
    checkSizesFit(trace, device, policy);
    // An untimed first pass on a throwaway pool lets the JIT settle, so nsPerAlloc measures
    // the optimized hot path rather than the interpreter.
    const warm = new MlxBufferPool(poolOptions);
    try {
      drive(trace, warm, device, preset, warmupSteps, false, progressOf(options, "warm-up"));
    } finally {
      warm.dispose();
    }
    const pool = new MlxBufferPool(poolOptions);
    let result: ReplayResult;
    try {
      result = drive(
        trace,
        pool,
        device,
        preset,
        warmupSteps,
        options.recordSeries === true,
        progressOf(options, "timed"),
      );
    } finally {
      pool.dispose();
    }
    result.nsPerAlloc = timeAllocs(trace, poolOptions, device, warmupSteps);
    return result;
  } finally {
    if (options.device === undefined) device.dispose();
  }
}

function progressOf(options: ReplayOptions, pass: ReplayPass): (opsDone: number) => void {
  const report = options.onProgress;
  return report === undefined ? () => {} : (opsDone) => report(pass, opsDone);
}

/**
 * A size the device cannot allocate is the trace's fault: reported like any malformed op. That
 * includes a size the device accepts whose size class is above its maximum (pow2, above half).
 */
function checkSizesFit(trace: Trace, device: MlxDevice, policy: SizePolicy): void {
  const max = device.maxBufferLength;
  trace.steps.forEach((step, s) => {
    step.forEach((op, o) => {
      if (op[0] !== "a") return;
      if (op[2] > max) {
        throw new TraceError(
          `size ${op[2]} is above the ${device.backend} device's maximum buffer length ${max}`,
          s,
          o,
        );
      }
      const capacity = policy.bucketSize(op[2]);
      if (capacity > max) {
        throw new TraceError(
          `size ${op[2]} fits the ${device.backend} device's maximum buffer length ${max}, but its size class ${capacity} under policy ${policy.name} does not`,
          s,
          o,
        );
      }
    });
  });
}

function drive(
  trace: Trace,
  pool: MlxBufferPool,
  device: MlxDevice,
  preset: string,
  warmupSteps: number,
  recordSeries: boolean,
  onStep: (opsDone: number) => void,
): ReplayResult {
  const opCount = trace.steps.reduce((n, step) => n + step.length, 0);
  const held = new Float64Array(recordSeries ? opCount : 0);
  const liveSeries = new Float64Array(recordSeries ? opCount : 0);
  const nativeSeries = new Uint32Array(recordSeries ? opCount : 0);
  const stepStarts: number[] = [];
  const live = new Map<number, MlxBuffer>();
  let allocs = 0;
  let releases = 0;
  let resets = 0;
  let liveBytes = 0;
  let peakLiveBytes = 0;
  let missesBeforeWarm = 0;
  let heldPeak = 0;
  let nativeAtPeak = 0;
  let opIndex = 0;
  const actions: TraceActions<MlxBuffer> = {
    alloc: (bytes) => {
      const buffer = pool.alloc(device, bytes, DType.U8, [bytes]);
      allocs++;
      liveBytes += bytes;
      if (liveBytes > peakLiveBytes) peakLiveBytes = liveBytes;
      return buffer;
    },
    free: (buffer) => {
      liveBytes -= buffer.byteLength;
      pool.release(buffer);
      releases++;
    },
    reset: () => {
      pool.reset();
      liveBytes = 0;
      resets++;
    },
    afterOp: () => {
      // Outside the timed region: held bytes rise only inside an op, so the peak is seen after one.
      const now = pool.stats();
      if (now.heldBytes > heldPeak) {
        heldPeak = now.heldBytes;
        nativeAtPeak = now.heldCount;
      }
      if (recordSeries) {
        held[opIndex] = now.heldBytes;
        liveSeries[opIndex] = liveBytes;
        nativeSeries[opIndex] = now.heldCount;
      }
      opIndex++;
    },
  };

  trace.steps.forEach((step, s) => {
    if (s === warmupSteps) missesBeforeWarm = pool.stats().misses;
    stepStarts.push(opIndex);
    playStep(step, live, actions);
    onStep(opIndex);
  });

  const stats = pool.stats();
  const missesAfterWarm = trace.steps.length > warmupSteps ? stats.misses - missesBeforeWarm : 0;
  const result: ReplayResult = {
    preset,
    policy: stats.policy,
    backend: device.backend,
    steps: trace.steps.length,
    warmupSteps,
    allocs,
    releases,
    resets,
    freshAllocations: stats.misses,
    freshAfterWarmup: missesAfterWarm,
    hits: stats.hits,
    evictions: stats.evictions,
    peakLiveBytes,
    peakHeldBytes: stats.peakHeldBytes,
    nativeAllocationsAtPeak: nativeAtPeak,
    footprintRatio: peakLiveBytes === 0 ? 0 : stats.peakHeldBytes / peakLiveBytes,
    nsPerAlloc: 0, // timed apart, by timeAllocs
  };
  if (recordSeries)
    result.series = { label: preset, held, live: liveSeries, native: nativeSeries, stepStarts };
  return result;
}

/** Passes of the trace that {@link timeAllocs} times. */
const TIMED_PASSES = 5;

/**
 * Median wall time per alloc over the steps from `warmupSteps` on: each step is timed whole
 * (its allocs, releases and reset, as a caller runs them), minus the same step played with
 * no-op actions (the replay's own bookkeeping), divided by its allocation count; passes of the
 * pool and of the no-op player alternate, on a fresh pool per pass. Timing batches rather than
 * single allocs keeps the timer's own cost and resolution out of the figure.
 */
function timeAllocs(
  trace: Trace,
  poolOptions: PoolOptions,
  device: MlxDevice,
  warmupSteps: number,
): number {
  const steps = trace.steps;
  const allocCounts = steps.map((step) => step.filter((op) => op[0] === "a").length);
  const poolNs = steps.map(() => new Float64Array(TIMED_PASSES));
  const bookkeepingNs = steps.map(() => new Float64Array(TIMED_PASSES));
  const token = {};
  const noop: TraceActions<object> = { alloc: () => token, free: () => {}, reset: () => {} };
  for (let pass = 0; pass < TIMED_PASSES; pass++) {
    const pool = new MlxBufferPool(poolOptions);
    try {
      const actions: TraceActions<MlxBuffer> = {
        alloc: (bytes) => pool.alloc(device, bytes, DType.U8, [bytes]),
        free: (buffer) => pool.release(buffer),
        reset: () => pool.reset(),
      };
      timeSteps(steps, actions, poolNs, pass);
    } finally {
      pool.dispose();
    }
    timeSteps(steps, noop, bookkeepingNs, pass);
  }
  const perAlloc: number[] = [];
  for (let s = warmupSteps; s < steps.length; s++) {
    const count = allocCounts[s] as number;
    if (count === 0) continue;
    const net =
      quantile(poolNs[s] as Float64Array, 0.5) - quantile(bookkeepingNs[s] as Float64Array, 0.5);
    perAlloc.push(Math.max(0, net) / count);
  }
  return perAlloc.length === 0 ? 0 : quantile(perAlloc, 0.5);
}

/** Plays every step once, storing each step's wall time in `out[step][pass]`. */
function timeSteps<B>(
  steps: readonly (readonly TraceOp[])[],
  actions: TraceActions<B>,
  out: Float64Array[],
  pass: number,
): void {
  const live = new Map<number, B>();
  for (let s = 0; s < steps.length; s++) {
    const start = process.hrtime.bigint();
    playStep(steps[s] as readonly TraceOp[], live, actions);
    (out[s] as Float64Array)[pass] = Number(process.hrtime.bigint() - start);
  }
}
