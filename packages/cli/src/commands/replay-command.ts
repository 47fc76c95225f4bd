import { writeFileSync } from "node:fs";
import type { DeviceOptions } from "@mlx/pool";
import { type ChartSeries, formatBytes, renderLineChart } from "../chart.js";
import { type CommandIO, UsageError } from "../io.js";
import { loadTrace, TraceError } from "../trace.js";
import { type ReplayResult, replayTrace } from "./replay.js";

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
 * With `chart`, the trace is also replayed under the other configurations (seed and lean, or
 * the given policy beside them) and the held lines drawn with the live line.
 */
export function replayCommand(
  file: string,
  options: ReplayCommandOptions,
  io: CommandIO,
): ReplayResult {
  const trace = loadTrace(file);
  const base = { warmupSteps: options.warmupSteps, backend: options.backend };
  let result: ReplayResult;
  try {
    result = replayTrace(trace, { ...base, preset: options.preset, policy: options.policy });
  } catch (error) {
    if (error instanceof TraceError) throw new UsageError(error.message);
    throw error;
  }
  if (options.json) io.out(JSON.stringify(result));
  else for (const line of formatReplay(result)) io.out(line);
  if (options.chart !== undefined) {
    const runs = chartRuns(options).map(({ label, preset, policy }) => ({
      label,
      result: replayTrace(trace, { ...base, preset, policy, recordSeries: true }),
    }));
    writeFileSync(options.chart, replayChart(file, runs));
    if (!options.json) io.out(`chart: ${options.chart}`);
  }
  return result;
}

/** Configurations drawn by `--chart`: seed and lean, plus the chosen policy when it is another. */
function chartRuns(options: ReplayCommandOptions): ChartRun[] {
  const runs: ChartRun[] = [
    { label: "seed", preset: "seed" },
    { label: "lean", preset: "lean" },
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

/** SVG of held bytes per configuration and live bytes, over op index. */
export function replayChart(
  title: string,
  runs: readonly { label: string; result: ReplayResult }[],
): string {
  const series: ChartSeries[] = runs.map(({ label, result }) => ({
    name: `held: ${label} (x${result.footprintRatio.toFixed(2)})`,
    values: result.series?.held ?? [],
  }));
  series.push({ name: "live", values: runs[0]?.result.series?.live ?? [], dashed: true });
  return renderLineChart(series, {
    title: `mlx-pool replay: ${title}`,
    xLabel: "op index",
    yLabel: "bytes",
  });
}

export function formatReplay(r: ReplayResult): string[] {
  return [
    `preset ${r.preset}, policy ${r.policy}, backend ${r.backend}, ${r.steps} steps (warm-up ${r.warmupSteps})`,
    `allocs ${r.allocs}, releases ${r.releases}, resets ${r.resets}`,
    `fresh allocations ${r.freshAllocations} (${r.freshAfterWarmup} after warm-up), hits ${r.hits}, evictions ${r.evictions}`,
    `peak live ${formatBytes(r.peakLiveBytes)}, peak held ${formatBytes(r.peakHeldBytes)}, footprint ratio ${r.footprintRatio.toFixed(3)}`,
    `median ${r.nsPerAlloc.toFixed(0)} ns per alloc`,
  ];
}
