/** Summary of repeated timings: median and spread. */
export interface Spread {
  median: number;
  p10: number;
  p90: number;
}

/** The `q` quantile (0..1) of `values`, by nearest rank on a sorted copy. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const index = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[index] as number;
}

export function spreadOf(values: ArrayLike<number>): Spread {
  return { median: quantile(values, 0.5), p10: quantile(values, 0.1), p90: quantile(values, 0.9) };
}

/** What {@link measure} reports: nanoseconds per operation over the timed samples. */
export interface Measurement extends Spread {
  min: number;
  samples: number;
}

/**
 * Runs `sample()` `warmup` times untimed, then `samples` times timed, and reports nanoseconds
 * per operation. `sample` returns how many operations it ran, or `{ ops, ns }` when it timed
 * its own part. Every benchmark and command times through this and {@link quantile}.
 */
export function measure(
  sample: () => number | { ops: number; ns: number },
  {
    warmup = 5,
    samples = 25,
    onProgress,
  }: {
    warmup?: number;
    samples?: number;
    /** Called outside the timed region with the samples run so far (warm-up included). */
    onProgress?: (done: number) => void;
  } = {},
): Measurement {
  for (let i = 0; i < warmup; i++) {
    sample();
    onProgress?.(i + 1);
  }
  const perOp = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    const result = sample();
    const elapsed = Number(process.hrtime.bigint() - start);
    perOp[i] = typeof result === "number" ? elapsed / result : result.ns / result.ops;
    onProgress?.(warmup + i + 1);
  }
  return { ...spreadOf(perOp), min: Math.min(...perOp), samples };
}

/** {@link measure} for a sample that awaits (fenced work, say); same warm-up, samples and units. */
export async function measureAsync(
  sample: () => Promise<number>,
  { warmup = 5, samples = 25 }: { warmup?: number; samples?: number } = {},
): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await sample();
  const perOp = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    const ops = await sample();
    perOp[i] = Number(process.hrtime.bigint() - start) / ops;
  }
  return { ...spreadOf(perOp), min: Math.min(...perOp), samples };
}

/** The tail of per-step timings: what the slowest steps cost next to the usual one. */
export interface Tail {
  median: number;
  p90: number;
  p99: number;
  max: number;
  samples: number;
}

export function tailOf(values: ArrayLike<number>): Tail {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] as number);
  return {
    median: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    max,
    samples: values.length,
  };
}

/**
 * Runs `step()` `warmup` times untimed, then `count` times, timing each call alone: the
 * per-step distribution (a decode token's p50 and p99, say) that {@link measure}'s batched
 * samples average away. Meant for steps of microseconds and more, where the timer's own cost
 * (tens of nanoseconds) is noise.
 */
export function timeEach(step: () => void, count: number, warmup = 0): Float64Array {
  for (let i = 0; i < warmup; i++) step();
  const times = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    step();
    times[i] = Number(process.hrtime.bigint() - start);
  }
  return times;
}

/** Nanoseconds as a person reads them: ns, µs or ms. */
export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/** One line for a {@link Measurement}: median, p10, p90, samples. */
export function describeMeasurement(m: Measurement): string {
  return `${formatNs(m.median)} (p10 ${formatNs(m.p10)}, p90 ${formatNs(m.p90)}, ${m.samples} samples)`;
}
