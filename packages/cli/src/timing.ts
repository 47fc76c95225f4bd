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

/** Median cost of one `process.hrtime.bigint()` pair, subtracted from per-call timings. */
export function timerOverheadNs(samples = 2001): number {
  const costs = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    costs[i] = Number(process.hrtime.bigint() - t0);
  }
  return quantile(costs, 0.5);
}
