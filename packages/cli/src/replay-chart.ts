import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";
import { type ChartSeries, type ChartXMark, renderLineChart } from "./chart.js";
import type { CountSeries } from "./chart-counts.js";
import { textWidth } from "./chart-text.js";
import type { ReplayResult } from "./commands/replay.js";
import { UsageError } from "./io.js";
import { PRESET_DESCRIPTIONS, type PresetName } from "./presets.js";

/** One configuration drawn by `replay --chart`. */
export interface ChartedRun {
  label: string;
  preset?: string;
  result: ReplayResult;
}

/** Pixels between two labelled step marks, at least (a label is a step number). */
const MIN_LABEL_GAP = 40;
const PLOT_WIDTH = 960 - 84 - 28;

/**
 * Fails (as a one-line usage error) when the chart cannot be written: its folder missing, not a
 * folder, or not writable. Called before any replay, so a long replay is not wasted.
 */
export function checkChartTarget(file: string, option = "--chart"): void {
  const folder = dirname(file);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    throw new UsageError(`${option} ${file}: the folder ${folder} does not exist`);
  }
  if (!isFolder) throw new UsageError(`${option} ${file}: ${folder} is not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new UsageError(`${option} ${file}: the folder ${folder} is not writable`);
  }
}

/**
 * The SVG of `replay --chart`: held bytes of each configuration and live bytes, over the ops of
 * the trace, with each step (token) marked on the x axis; under them, on the same axis, the
 * native allocations each configuration holds (buffers, or slabs), dotted where its held bytes
 * peak.
 */
export function replayChart(traceName: string, runs: readonly ChartedRun[]): string {
  const first = runs[0]?.result;
  const series: ChartSeries[] = runs.map(({ label, preset, result }) => {
    const what = preset !== undefined && label === preset ? describePreset(preset) : undefined;
    return {
      name: `held (reserved), ${label}${what === undefined ? "" : `: ${what}`}; peak ×${result.footprintRatio.toFixed(2)} of live in ${slabsOrBuffers(result)}`,
      values: result.series?.held ?? [],
    };
  });
  series.push({
    name: "live (allocated): requested bytes of the buffers in use",
    values: first?.series?.live ?? [],
    dashed: true,
  });
  const native: CountSeries[] = runs.map(({ label, result }) => ({
    name: label,
    values: result.series?.native ?? [],
    markAt: firstMaximum(result.series?.held ?? []),
  }));
  const ops = first?.series?.live.length ?? 0;
  const steps = first?.steps ?? 0;
  return renderLineChart(series, {
    title: `Memory the pool holds vs. memory in use, replaying ${traceName}`,
    subtitle: `${steps} steps (step 0 usually the prefill, then one per token), ${ops.toLocaleString("en-US")} ops, replayed on the ${first?.backend ?? "?"} backend`,
    xLabel: "step (token), at its first op",
    yLabel: "bytes",
    xMarks: stepMarks(first?.series?.stepStarts ?? [], ops),
    counts: {
      title:
        "Native allocations held, in use and free (colours as in the legend): one per buffer, or one per slab under the arena (lean); ● at the held-bytes peak",
      yLabel: "native allocations (log)",
      series: native,
    },
    notes: [
      "“peak ×N of live” is the footprint ratio: peak held ÷ peak live bytes; ×1.00 would hold nothing beyond what is in use.",
      "Between a held line and the dashed live line: free buffers cached for reuse, and rounding up to size classes.",
      "Under the arena (lean) the held line is slab bytes: it moves only when slabs (native allocations) are made or freed, as counted below.",
      "The lower panel shares the steps axis; its scale is logarithmic (of 1 + count), so that 3 slabs and 100 buffers both read.",
    ],
  });
}

/** The first index of the largest value: where the replay saw the held peak (it keeps the first). */
function firstMaximum(values: ArrayLike<number>): number | undefined {
  if (values.length === 0) return undefined;
  let at = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[at] as number)) at = i;
  return at;
}

/** What the held peak is made of: slabs under the arena, buffers otherwise. */
function slabsOrBuffers(result: ReplayResult): string {
  const n = result.nativeAllocationsAtPeak;
  const what = result.policy === "arena" ? "slab" : "buffer";
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function describePreset(name: string): string | undefined {
  return PRESET_DESCRIPTIONS[name as PresetName];
}

/**
 * A mark at the first op of every step; labels on every k-th step (k = 1, 2, 5, 10, 20, ...) so
 * that no two labels come closer than {@link MIN_LABEL_GAP} pixels. Marks alone for the others
 * while there are few enough to tell apart.
 */
export function stepMarks(stepStarts: readonly number[], ops: number): ChartXMark[] {
  const n = stepStarts.length;
  if (n === 0) return [];
  const pxPerOp = PLOT_WIDTH / Math.max(1, ops - 1);
  let minSpan = Number.POSITIVE_INFINITY;
  for (let s = 1; s < n; s++)
    minSpan = Math.min(minSpan, (stepStarts[s] as number) - (stepStarts[s - 1] as number));
  const gap = Math.max(MIN_LABEL_GAP, textWidth(String(n - 1)) + 12);
  const every = roundStride((k) => k >= n || k * Math.max(1, minSpan) * pxPerOp >= gap);
  const marks: ChartXMark[] = [];
  let lastLabelled = Number.NEGATIVE_INFINITY;
  const drawAll = n * 4 <= PLOT_WIDTH;
  for (let s = 0; s < n; s++) {
    const at = stepStarts[s] as number;
    const farEnough = (at - lastLabelled) * pxPerOp >= gap;
    const labelled = s % every === 0 && farEnough;
    if (labelled) lastLabelled = at;
    if (labelled || drawAll) marks.push({ at, label: labelled ? String(s) : null });
  }
  return marks;
}

/** The first of 1, 2, 5, 10, 20, 50, ... that is wide enough. */
function roundStride(wide: (k: number) => boolean): number {
  for (let power = 1; ; power *= 10)
    for (const f of [1, 2, 5]) if (wide(f * power)) return f * power;
}
