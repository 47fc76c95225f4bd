import { type CountPanel, PANEL_TITLE_SIZE, renderCountPanel } from "./chart-counts.js";
import { linePath } from "./chart-path.js";
import { escapeXml, FONT_SIZE, TITLE_SIZE, textWidth } from "./chart-text.js";

/** One line of the chart: a name and a y value per x (op index). */
export interface ChartSeries {
  name: string;
  values: ArrayLike<number>;
  /** Drawn dashed (used for the live line). */
  dashed?: boolean;
}

/** A mark on the x axis at op index `at` (a step boundary); `label` null draws the mark only. */
export interface ChartXMark {
  at: number;
  label: string | null;
}

export interface ChartOptions {
  title: string;
  /** A smaller second line under the title (what was replayed). */
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  /** Marks on the x axis; by default five evenly spaced op indices. */
  xMarks?: readonly ChartXMark[];
  /** Lines of explanation under the legend. */
  notes?: readonly string[];
  /** A second panel under the bytes, sharing their x axis: counts on a log axis. */
  counts?: CountPanel;
  /** Minimum size; the chart grows so that no text is clipped. */
  width?: number;
  height?: number;
}

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const LIVE_COLOR = "#333333";
const MARGIN = { left: 84, right: 28, top: 64 };
const ROW = 20;
/** From the bytes panel's axis to the count panel's top: room for the count panel's title. */
const PANEL_GAP = 48;
const COUNT_PANEL_HEIGHT = 180;

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes in binary units, short enough for a report line (one decimal). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/** Bytes in the largest binary unit not above them, with as many decimals as it takes (up to 3). */
export function formatBinaryTick(bytes: number): string {
  if (bytes === 0) return "0";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.parseFloat(value.toFixed(3))} ${UNITS[unit]}`;
}

/**
 * Y ticks at round binary sizes: multiples of the smallest power of two that needs at most 8 of
 * them to pass `max` (so 5 to 8 ticks above 0). Every label is exact in its unit.
 */
export function binaryTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const step = 2 ** Math.max(0, Math.ceil(Math.log2(max / 8)));
  const count = Math.max(1, Math.ceil(max / step));
  return Array.from({ length: count + 1 }, (_, k) => k * step);
}

/**
 * A standalone SVG line chart: one `<path class="series">` per series (with `data-series` naming
 * it), y ticks at round binary sizes (`<g class="y-tick" data-bytes>`), x marks
 * (`<g class="x-mark" data-at>`), optionally a count panel under it on the same x axis
 * (`<g class="count-panel">`), a legend and notes below. The canvas grows so that every text
 * fits inside the viewBox. Long series are reduced to the maximum per pixel column so peaks stay
 * visible.
 */
export function renderLineChart(series: readonly ChartSeries[], options: ChartOptions): string {
  const legend = series.map((s) => s.name);
  const notes = options.notes ?? [];
  const counts = options.counts;
  const textExtent = Math.max(
    textWidth(options.title, TITLE_SIZE),
    textWidth(options.subtitle ?? ""),
    textWidth(counts?.title ?? "", PANEL_TITLE_SIZE),
    ...legend.map((name) => 34 + textWidth(name)),
    ...notes.map((note) => textWidth(note)),
  );
  const width = Math.ceil(Math.max(options.width ?? 960, MARGIN.left + MARGIN.right + textExtent));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = Math.max(200, (options.height ?? 560) - 240);
  const plotBottom = MARGIN.top + plotH;
  const countTop = plotBottom + PANEL_GAP;
  // The step labels and the x axis title go under the lowest panel.
  const axisBottom = counts === undefined ? plotBottom : countTop + COUNT_PANEL_HEIGHT;
  const legendTop = axisBottom + 62;
  const notesTop = legendTop + legend.length * ROW + 6;
  const height = Math.max(options.height ?? 0, Math.ceil(notesTop + notes.length * ROW + 10));

  const count = Math.max(1, ...series.map((s) => s.values.length));
  let yMax = 0;
  for (const s of series)
    for (let i = 0; i < s.values.length; i++) yMax = Math.max(yMax, s.values[i] as number);
  const ticks = binaryTicks(yMax);
  const yTop = ticks[ticks.length - 1] as number;
  const x = (i: number) => MARGIN.left + (count <= 1 ? 0 : (i / (count - 1)) * plotW);
  const y = (v: number) => plotBottom - (v / yTop) * plotH;
  const center = MARGIN.left + plotW / 2;
  const colors = series.map((_, k) => COLORS[k % COLORS.length] as string);
  // The count panel's colours: the solid lines' (one at least, so that indexing never fails).
  const solid = series.flatMap((s, k) => (s.dashed ? [] : [colors[k] as string]));
  if (solid.length === 0) solid.push(COLORS[0] as string);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${FONT_SIZE}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="${width / 2}" y="24" text-anchor="middle" font-size="${TITLE_SIZE}">${escapeXml(options.title)}</text>`,
  ];
  if (options.subtitle !== undefined) {
    parts.push(
      `<text class="subtitle" x="${width / 2}" y="44" text-anchor="middle" fill="#555555">${escapeXml(options.subtitle)}</text>`,
    );
  }
  for (const v of ticks) {
    const ty = y(v).toFixed(1);
    parts.push(
      `<g class="y-tick" data-bytes="${v}">`,
      `<line x1="${MARGIN.left}" y1="${ty}" x2="${MARGIN.left + plotW}" y2="${ty}" stroke="#e0e0e0"/>`,
      `<text x="${MARGIN.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatBinaryTick(v))}</text>`,
      "</g>",
    );
  }
  const marks = options.xMarks ?? evenMarks(count);
  for (const mark of marks) {
    const mx = x(mark.at).toFixed(1);
    const stroke = mark.label === null ? "#f2f2f2" : "#d8d8d8";
    parts.push(
      `<g class="x-mark" data-at="${mark.at}">`,
      `<line x1="${mx}" y1="${MARGIN.top}" x2="${mx}" y2="${plotBottom + (counts === undefined ? 5 : 0)}" stroke="${stroke}"/>`,
    );
    if (counts !== undefined)
      parts.push(
        `<line x1="${mx}" y1="${countTop}" x2="${mx}" y2="${axisBottom + 5}" stroke="${stroke}"/>`,
      );
    if (mark.label !== null)
      parts.push(
        `<text x="${mx}" y="${axisBottom + 18}" text-anchor="middle">${escapeXml(mark.label)}</text>`,
      );
    parts.push("</g>");
  }
  parts.push(
    `<line x1="${MARGIN.left}" y1="${plotBottom}" x2="${MARGIN.left + plotW}" y2="${plotBottom}" stroke="#000"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${plotBottom}" stroke="#000"/>`,
    `<text class="x-label" x="${center}" y="${axisBottom + 38}" text-anchor="middle">${escapeXml(options.xLabel ?? "op index")}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel ?? "bytes")}</text>`,
  );
  if (counts !== undefined) {
    const frame = { left: MARGIN.left, top: countTop, width: plotW, height: COUNT_PANEL_HEIGHT };
    parts.push(...renderCountPanel(counts, { ...frame, x, colors: solid }));
  }
  series.forEach((s, k) => {
    const color = s.dashed ? LIVE_COLOR : (colors[k] as string);
    const dash = s.dashed ? ' stroke-dasharray="6 3"' : "";
    parts.push(
      `<path class="series" data-series="${escapeXml(s.name)}" d="${linePath(s.values, plotW, x, y)}" fill="none" stroke="${color}" stroke-width="1.5"${dash}/>`,
    );
    const ly = legendTop + k * ROW;
    const lx = MARGIN.left;
    parts.push(
      `<g class="legend">`,
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 34}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
      "</g>",
    );
  });
  notes.forEach((note, k) => {
    parts.push(
      `<text class="note" x="${MARGIN.left}" y="${notesTop + k * ROW}" dominant-baseline="middle" fill="#555555">${escapeXml(note)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function evenMarks(count: number): ChartXMark[] {
  const marks: ChartXMark[] = [];
  for (let t = 0; t <= 4; t++) {
    const at = Math.round(((count - 1) * t) / 4);
    if (marks.at(-1)?.at !== at) marks.push({ at, label: String(at) });
  }
  return marks;
}
