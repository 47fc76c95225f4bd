// Shared by the packages' benchmark scripts (dev only): warm-up, repeated samples, median and spread.

/**
 * Runs `sample()` `warmup` times, then `samples` times, and reports nanoseconds per operation.
 * `sample` returns how many operations it ran, or `{ ops, ns }` when it timed its own part.
 */
export function measure(sample, { warmup = 5, samples = 25 } = {}) {
  for (let i = 0; i < warmup; i++) sample();
  const perOp = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    const result = sample();
    const elapsed = Number(process.hrtime.bigint() - start);
    perOp.push(typeof result === "number" ? elapsed / result : result.ns / result.ops);
  }
  perOp.sort((a, b) => a - b);
  const at = (q) => perOp[Math.min(perOp.length - 1, Math.floor(q * perOp.length))];
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), min: perOp[0], samples };
}

export function formatNs(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

export function describeResult(r) {
  return `${formatNs(r.median)} (p10 ${formatNs(r.p10)}, p90 ${formatNs(r.p90)}, ${r.samples} samples)`;
}
