/** One line of the chart: a name and a y value per x (op index). */
export interface ChartSeries {
  name: string;
  values: ArrayLike<number>;
  /** Drawn dashed (used for the live line). */
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const LIVE_COLOR = "#333333";
const MARGIN = { left: 80, right: 170, top: 40, bottom: 50 };

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c] as string);
}

const XML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Bytes in binary units, short enough for an axis tick. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * A standalone SVG line chart: one `<path class="series">` per series (with `data-series` naming
 * it), axes with ticks, labels and a legend. Long series are reduced to the maximum per pixel
 * column so peaks stay visible.
 */
export function renderLineChart(series: readonly ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 960;
  const height = options.height ?? 480;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const count = Math.max(1, ...series.map((s) => s.values.length));
  let yMax = 0;
  for (const s of series)
    for (let i = 0; i < s.values.length; i++) yMax = Math.max(yMax, s.values[i] as number);
  const yTop = niceCeiling(yMax);
  const x = (i: number) => MARGIN.left + (count <= 1 ? 0 : (i / (count - 1)) * plotW);
  const y = (v: number) => MARGIN.top + plotH - (yTop === 0 ? 0 : (v / yTop) * plotH);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (yTop * t) / 4;
    const ty = y(v).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${ty}" x2="${MARGIN.left + plotW}" y2="${ty}" stroke="#e0e0e0"/>`,
      `<text x="${MARGIN.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatBytes(v))}</text>`,
    );
  }
  for (let t = 0; t <= 4; t++) {
    const i = Math.round(((count - 1) * t) / 4);
    parts.push(
      `<text x="${x(i).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${i}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#000"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#000"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel ?? "op index")}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel ?? "bytes")}</text>`,
  );
  let colorIndex = 0;
  series.forEach((s, k) => {
    const color = s.dashed ? LIVE_COLOR : (COLORS[colorIndex++ % COLORS.length] as string);
    const dash = s.dashed ? ' stroke-dasharray="6 3"' : "";
    parts.push(
      `<path class="series" data-series="${escapeXml(s.name)}" d="${pathData(s.values, plotW, x, y)}" fill="none" stroke="${color}" stroke-width="1.5"${dash}/>`,
    );
    const ly = MARGIN.top + 10 + k * 20;
    const lx = MARGIN.left + plotW + 14;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** Path data with at most about one point per pixel column: the column's maximum. */
function pathData(
  values: ArrayLike<number>,
  plotW: number,
  x: (i: number) => number,
  y: (v: number) => number,
): string {
  const n = values.length;
  if (n === 0) return "M0 0";
  const stride = Math.max(1, Math.floor(n / plotW));
  const points: string[] = [];
  for (let start = 0; start < n; start += stride) {
    let max = values[start] as number;
    const end = Math.min(n, start + stride);
    for (let i = start + 1; i < end; i++) max = Math.max(max, values[i] as number);
    points.push(`${points.length === 0 ? "M" : "L"}${x(start).toFixed(1)} ${y(max).toFixed(1)}`);
  }
  return points.join(" ");
}

/** The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is >= v: a round axis top. */
function niceCeiling(v: number): number {
  if (v <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * magnitude >= v) return f * magnitude;
  return 10 * magnitude;
}
