import { stepPath } from "./chart-path.js";
import { escapeXml, FONT_SIZE } from "./chart-text.js";

/** A count over the same ops as the chart's bytes, drawn as a step line. */
export interface CountSeries {
  name: string;
  values: ArrayLike<number>;
  /** An op index to mark with a dot on the line (where the bytes peak, say). */
  markAt?: number;
}

/**
 * A panel under the bytes, on the same x axis: counts that run from a few to hundreds (3 slabs
 * beside 100 buffers), so the axis is logarithmic, of 1 + count so that 0 has a place.
 */
export interface CountPanel {
  /** Above the panel: what it counts. */
  title: string;
  yLabel: string;
  /** Series k takes the colour of the bytes panel's k-th solid line. */
  series: readonly CountSeries[];
}

/** Where the panel is drawn, and the x scale it shares with the bytes panel. */
interface CountFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  x: (i: number) => number;
  colors: readonly string[];
}

/** Vertical pixels between two tick labels, at least (a label is 12 px high). */
const MIN_TICK_GAP = 14;
export const PANEL_TITLE_SIZE = 13;

const logPosition = (v: number) => Math.log10(1 + v);

/**
 * Y ticks for counts up to `max` on a log(1 + n) axis `height` pixels high: 0, then 1, 2, 5,
 * 10, 20, 50, ... up to the first at or above `max`; only the powers of ten where those would
 * come closer than {@link MIN_TICK_GAP} pixels, and without 1 where even those do (the axis
 * spans many decades, and 0 to 1 is the shortest step on it). A pool holds fewer than a million
 * native allocations (its `maxBuffers`), so 180 pixels fit every decade.
 */
export function countTicks(max: number, height: number): number[] {
  const top = Math.max(1, max);
  const ladder = (factors: readonly number[]) => {
    const ticks = [0];
    for (let power = 1; (ticks.at(-1) as number) < top; power *= 10)
      for (const f of factors) if ((ticks.at(-1) as number) < top) ticks.push(f * power);
    return ticks;
  };
  const spaced = (ticks: readonly number[]) => {
    const px = height / logPosition(ticks.at(-1) as number);
    return ticks.every(
      (v, k) =>
        k === 0 || (logPosition(v) - logPosition(ticks[k - 1] as number)) * px >= MIN_TICK_GAP,
    );
  };
  const fine = ladder([1, 2, 5]);
  if (spaced(fine)) return fine;
  const decades = ladder([1]);
  if (spaced(decades) || decades.length <= 2) return decades;
  return decades.filter((v) => v !== 1);
}

/** The panel's SVG elements, inside one `<g class="count-panel">`. */
export function renderCountPanel(panel: CountPanel, frame: CountFrame): string[] {
  const { left, top, width, height, x } = frame;
  const bottom = top + height;
  let max = 0;
  for (const s of panel.series)
    for (let i = 0; i < s.values.length; i++) max = Math.max(max, s.values[i] as number);
  const ticks = countTicks(max, height);
  const span = logPosition(ticks.at(-1) as number);
  const y = (v: number) => bottom - (logPosition(v) / span) * height;
  const parts = [
    `<g class="count-panel">`,
    `<text class="panel-title" x="${left}" y="${top - 10}" font-size="${PANEL_TITLE_SIZE}">${escapeXml(panel.title)}</text>`,
  ];
  for (const v of ticks) {
    const ty = y(v).toFixed(1);
    parts.push(
      `<g class="count-tick" data-value="${v}">`,
      `<line x1="${left}" y1="${ty}" x2="${left + width}" y2="${ty}" stroke="#e0e0e0"/>`,
      `<text x="${left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${v.toLocaleString("en-US")}</text>`,
      "</g>",
    );
  }
  parts.push(
    `<line x1="${left}" y1="${bottom}" x2="${left + width}" y2="${bottom}" stroke="#000"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#000"/>`,
    `<text transform="translate(18 ${top + height / 2}) rotate(-90)" text-anchor="middle" font-size="${FONT_SIZE}">${escapeXml(panel.yLabel)}</text>`,
  );
  // Counts are often equal (two policies, one buffer each): each line and dot is drawn thinner
  // than the one under it, so an equal one shows as a rim instead of hiding the other.
  const n = panel.series.length;
  const wider = (k: number) => 0.75 * (n - 1 - k);
  panel.series.forEach((s, k) => {
    const color = frame.colors[k % frame.colors.length] as string;
    parts.push(
      `<path class="count-series" data-series="${escapeXml(s.name)}" d="${stepPath(s.values, width, x, y, left + width)}" fill="none" stroke="${color}" stroke-width="${1.5 + wider(k)}"/>`,
    );
  });
  // Dots after every line, so that none is hidden under another series.
  panel.series.forEach((s, k) => {
    if (s.markAt === undefined || s.markAt >= s.values.length) return;
    const v = s.values[s.markAt] as number;
    parts.push(
      `<circle class="peak" data-series="${escapeXml(s.name)}" data-value="${v}" cx="${x(s.markAt).toFixed(1)}" cy="${y(v).toFixed(1)}" r="${3.5 + wider(k)}" fill="${frame.colors[k % frame.colors.length]}" stroke="#ffffff" stroke-width="1"/>`,
    );
  });
  parts.push("</g>");
  return parts;
}
