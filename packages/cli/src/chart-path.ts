/** Maps an op index or a value to a pixel coordinate. */
type Scale = (v: number) => number;

/**
 * Each pixel column's first index and the maximum of `values` over the column: long series
 * (thousands of ops) reduced to about one point per pixel, keeping every peak visible.
 */
function columnMaxima(values: ArrayLike<number>, plotW: number): [number, number][] {
  const n = values.length;
  const stride = Math.max(1, Math.floor(n / plotW));
  const points: [number, number][] = [];
  for (let start = 0; start < n; start += stride) {
    let max = values[start] as number;
    const end = Math.min(n, start + stride);
    for (let i = start + 1; i < end; i++) max = Math.max(max, values[i] as number);
    points.push([start, max]);
  }
  return points;
}

/** Path data joining the column maxima by straight lines. */
export function linePath(values: ArrayLike<number>, plotW: number, x: Scale, y: Scale): string {
  const points = columnMaxima(values, plotW);
  if (points.length === 0) return "M0 0";
  return points
    .map(([i, v], k) => `${k === 0 ? "M" : "L"}${x(i).toFixed(1)} ${y(v).toFixed(1)}`)
    .join(" ");
}

/**
 * Path data of a step line: each value holds until the next column's, then the line jumps
 * (`H` then `V`), as a count does. Ends at the plot's right edge `xEnd`.
 */
export function stepPath(
  values: ArrayLike<number>,
  plotW: number,
  x: Scale,
  y: Scale,
  xEnd: number,
): string {
  const points = columnMaxima(values, plotW);
  const first = points[0];
  if (first === undefined) return "M0 0";
  const parts = [`M${x(first[0]).toFixed(1)} ${y(first[1]).toFixed(1)}`];
  let last = first[1];
  for (const [i, v] of points.slice(1)) {
    if (v === last) continue;
    parts.push(`H${x(i).toFixed(1)} V${y(v).toFixed(1)}`);
    last = v;
  }
  parts.push(`H${xEnd.toFixed(1)}`);
  return parts.join(" ");
}
