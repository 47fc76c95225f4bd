import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { DeviceOptions } from "@mlx/pool";
import { formatBytes } from "../chart.js";
import { type CommandIO, UsageError } from "../io.js";
import { startProgress } from "../progress.js";
import { checkChartTarget, replayChart } from "../replay-chart.js";
import { loadTrace, TraceError } from "../trace.js";
import { type ReplayOptions, type ReplayResult, replayTrace } from "./replay.js";

export interface ReplayCommandOptions {
  policy?: string;
  preset?: string;
  warmupSteps?: number;
  json?: boolean;
  chart?: string;
  backend?: DeviceOptions["backend"];
}

/**
 * `mlx-pool replay FILE`: one replay with the chosen preset/policy, printed as JSON or text.
 * With `chart`, the trace is also replayed under the other configurations (seed, lean and divisions, or
 * the given policy beside them) and the held lines drawn with the live line.
 */
export function replayCommand(
  file: string,
  options: ReplayCommandOptions,
  io: CommandIO,
): ReplayResult {
  if (options.chart !== undefined) checkChartTarget(options.chart);
  const trace = loadTrace(file);
  const ops = trace.steps.reduce((n, step) => n + step.length, 0);
  if (!trace.steps.some((step) => step.some((op) => op[0] === "a"))) {
    throw new UsageError(
      `${file} allocates nothing (${trace.steps.length} steps, ${ops} ops): nothing to replay`,
      1,
    );
  }
  const chart = options.chart === undefined ? [] : chartRuns(options);
  const progress = startProgress(io, "ops");
  const base = (label: string): ReplayOptions => {
    let pass = "";
    return {
      warmupSteps: options.warmupSteps,
      backend: options.backend,
      onProgress: (next, done) => {
        if (next !== pass) {
          pass = next;
          progress.phase(`${label} ${pass}`, ops);
        }
        progress.update(done);
      },
    };
  };
  let result: ReplayResult;
  try {
    const preset = options.preset ?? "seed";
    const label = options.policy === undefined ? preset : `${preset} with ${options.policy}`;
    result = replayTrace(trace, { ...base(label), preset: options.preset, policy: options.policy });
    const runs = chart.map(({ label, preset, policy }) => ({
      label,
      preset,
      result: replayTrace(trace, { ...base(label), preset, policy, recordSeries: true }),
    }));
    progress.done();
    if (options.chart !== undefined)
      writeFileSync(options.chart, replayChart(basename(file), runs));
  } catch (error) {
    progress.stop();
    if (error instanceof TraceError) throw new UsageError(error.message);
    throw error;
  }
  if (options.json) io.out(JSON.stringify(result));
  else for (const line of formatReplay(result)) io.out(line);
  if (options.chart !== undefined && !options.json) io.out(`chart: ${options.chart}`);
  return result;
}

/** Configurations drawn by `--chart`: seed, lean and divisions, plus the chosen policy when it is another. */
function chartRuns(options: ReplayCommandOptions): ChartRun[] {
  const runs: ChartRun[] = [
    { label: "seed", preset: "seed" },
    { label: "lean", preset: "lean" },
    { label: "divisions", preset: "divisions" },
  ];
  if (options.policy !== undefined) {
    const preset = options.preset ?? "seed";
    runs.push({ label: `${preset} with ${options.policy}`, preset, policy: options.policy });
  }
  return runs;
}

interface ChartRun {
  label: string;
  preset: string;
  policy?: string;
}

export function formatReplay(r: ReplayResult): string[] {
  return [
    `preset ${r.preset}, policy ${r.policy}, backend ${r.backend}, ${r.steps} steps (warm-up ${r.warmupSteps})`,
    `allocs ${r.allocs}, releases ${r.releases}, resets ${r.resets}`,
    `fresh allocations ${r.freshAllocations} (${r.freshAfterWarmup} after warm-up), hits ${r.hits}, evictions ${r.evictions}`,
    `peak live ${formatBytes(r.peakLiveBytes)} (PyTorch: allocated, MLX: active), peak held ${formatBytes(r.peakHeldBytes)} (PyTorch: reserved, MLX: active + cache) in ${r.nativeAllocationsAtPeak} native allocations`,
    r.peakLiveBytes === 0
      ? "footprint ratio: none (nothing was live)"
      : `footprint ratio ${r.footprintRatio.toFixed(3)} (peak held / peak live; 1 holds nothing beyond what is in use)`,
    `median ${r.nsPerAlloc.toFixed(0)} ns per alloc`,
  ];
}
