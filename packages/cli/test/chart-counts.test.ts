import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { countTicks } from "../src/chart-counts.js";
import { textWidth } from "../src/chart-text.js";
import { replayTrace } from "../src/commands/replay.js";
import { replayCommand } from "../src/commands/replay-command.js";
import { SAMPLE_TRACE_PATH } from "../src/fixtures.js";
import type { CommandIO } from "../src/io.js";
import { loadTrace } from "../src/trace.js";

const WIDE_FFN = join(SAMPLE_TRACE_PATH, "..", "synthetic", "wide-ffn.json");
const PRESETS = ["seed", "lean", "divisions"] as const;
const io: CommandIO = { out: () => {}, err: () => {}, errIsTTY: false };
const parser = new XMLParser({
  ignoreAttributes: false,
  isArray: (name) => ["path", "g", "text", "line", "circle"].includes(name),
});

type Node = Record<string, unknown> & { text?: Node[]; line?: Node[]; g?: Node[] };
const num = (n: Node, attr: string) => Number(n[`@_${attr}`]);

/** The chart of wide-ffn.json, with lean as the reported preset, and the SVG's parts. */
function leanChart() {
  const file = join(mkdtempSync(join(tmpdir(), "mlx-counts-")), "chart.svg");
  const reported = replayCommand(
    WIDE_FFN,
    { chart: file, json: true, backend: "host", preset: "lean" },
    io,
  );
  const svg = readFileSync(file, "utf8");
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = parser.parse(svg).svg;
  const panel = ((doc.g ?? []) as Node[]).find((g) => g["@_class"] === "count-panel");
  return { reported, doc, panel };
}

/** Maps the panel's pixels back to counts and op indices, from its own ticks. */
function axesOf(panel: Node, ops: number) {
  const ticks = (panel.g ?? []).filter((g) => g["@_class"] === "count-tick");
  const tickLine = (g: Node) => (g.line as Node[])[0] as Node;
  const bottom = num(tickLine(ticks[0] as Node), "y1");
  const top = ticks.at(-1) as Node;
  const span = Math.log10(1 + num(top, "data-value"));
  const topY = num(tickLine(top), "y1");
  const left = num(tickLine(top), "x1");
  const right = num(tickLine(top), "x2");
  return {
    ticks,
    bottom,
    topY,
    count: (py: number) => Math.round(10 ** (((bottom - py) / (bottom - topY)) * span) - 1),
    op: (px: number) => Math.round(((px - left) / (right - left)) * (ops - 1)),
    plotW: right - left,
  };
}

/** A step path's levels and the x of each jump: `M x y (H x V y)* H x`. */
function stepsOf(d: string): { levels: number[]; jumps: number[] } {
  const tokens = [...d.matchAll(/([MHV])([\d.]+)(?: ([\d.]+))?/g)];
  const levels = [Number((tokens[0] as RegExpMatchArray)[3])];
  const jumps: number[] = [];
  for (let k = 1; k < tokens.length; k++) {
    const [, cmd, a] = tokens[k] as RegExpMatchArray;
    if (cmd === "V") levels.push(Number(a));
    else if (tokens[k + 1]?.[1] === "V") jumps.push(Number(a));
  }
  return { levels, jumps };
}

describe("--chart's native allocations panel", () => {
  const trace = loadTrace(WIDE_FFN);
  const runs = Object.fromEntries(
    PRESETS.map((p) => [p, replayTrace(trace, { backend: "host", preset: p, recordSeries: true })]),
  );
  const { reported, doc, panel } = leanChart();
  const ops = runs.seed?.series?.native.length ?? 0;

  it("is drawn under the bytes, titled, with one step line per preset in its held line's colour", () => {
    expect(panel).toBeDefined();
    const p = panel as Node;
    const title = ((p.text ?? []) as Node[]).find((t) => t["@_class"] === "panel-title") as Node;
    expect(String(title["#text"])).toMatch(/^Native allocations held.*slab.*held-bytes peak$/);
    const yLabel = (p.text as Node[]).find((t) => String(t["@_transform"]).includes("rotate"));
    expect(String(yLabel?.["#text"])).toBe("native allocations (log)");
    const lines = p.path as Node[];
    expect(lines.map((l) => l["@_data-series"])).toEqual([...PRESETS]);
    const held = (doc.path as Node[]).slice(0, 3);
    expect(lines.map((l) => l["@_stroke"])).toEqual(held.map((l) => l["@_stroke"]));
    // Below the bytes panel's x axis, its title between the two, the step labels under it.
    const bytesAxis = (doc.line as Node[]).find(
      (l) => l["@_y1"] === l["@_y2"] && l["@_stroke"] === "#000",
    ) as Node;
    const { bottom, topY } = axesOf(p, ops);
    expect(num(title, "y")).toBeGreaterThan(num(bytesAxis, "y1"));
    expect(num(title, "y")).toBeLessThan(topY);
    const [, , width = 0, height = 0] = String(doc["@_viewBox"]).split(" ").map(Number);
    expect(num(title, "x") + textWidth(String(title["#text"]), 13)).toBeLessThanOrEqual(width);
    const stepLabels = (doc.g as Node[])
      .filter((g) => g["@_class"] === "x-mark")
      .flatMap((g) => g.text ?? []);
    expect(stepLabels.length).toBeGreaterThan(0);
    for (const t of stepLabels) expect(num(t, "y")).toBeGreaterThan(bottom);
    expect(bottom).toBeLessThan(height);
  });

  it("ticks 0, 1, 2, 5, 10, ... up to the largest count, labelled with their values", () => {
    const { ticks } = axesOf(panel as Node, ops);
    const values = ticks.map((g) => num(g, "data-value"));
    expect(values).toEqual([0, 1, 2, 5, 10, 20, 50]);
    for (const g of ticks)
      expect(String(((g.text as Node[])[0] as Node)["#text"])).toBe(String(num(g, "data-value")));
  });

  it.each(PRESETS)("draws %s's recorded counts, every change at its op", (preset) => {
    const native = runs[preset]?.series?.native as Uint32Array;
    const axes = axesOf(panel as Node, ops);
    // Fewer ops than two pixels each: one point per op, no column reduction to account for.
    expect(ops).toBeLessThan(2 * axes.plotW);
    const expected = { levels: [native[0] as number], jumps: [] as number[] };
    for (let i = 1; i < native.length; i++) {
      if (native[i] === native[i - 1]) continue;
      expected.levels.push(native[i] as number);
      expected.jumps.push(i);
    }
    const line = ((panel as Node).path as Node[]).find((l) => l["@_data-series"] === preset);
    const drawn = stepsOf(String(line?.["@_d"]));
    expect(drawn.levels.map(axes.count)).toEqual(expected.levels);
    expect(drawn.jumps.map(axes.op)).toEqual(expected.jumps);
  });

  it("dots each line where its held bytes first peak, at the count the replay reports", () => {
    const axes = axesOf(panel as Node, ops);
    const dots = ((panel as Node).circle ?? []) as Node[];
    expect(dots.map((c) => c["@_data-series"])).toEqual([...PRESETS]);
    for (const [k, preset] of PRESETS.entries()) {
      const run = runs[preset];
      const held = run?.series?.held as Float64Array;
      const dot = dots[k] as Node;
      expect(axes.op(num(dot, "cx"))).toBe(held.indexOf(run?.peakHeldBytes as number));
      expect(axes.count(num(dot, "cy"))).toBe(run?.nativeAllocationsAtPeak);
      expect(num(dot, "data-value")).toBe(run?.nativeAllocationsAtPeak);
    }
    // Lean's dot: the slabs the printed report says it held at its peak, as its legend says.
    const lean = dots[1] as Node;
    expect(reported.policy).toBe("arena");
    expect(axes.count(num(lean, "cy"))).toBe(reported.nativeAllocationsAtPeak);
    expect(reported.nativeAllocationsAtPeak).toBeLessThan(runs.seed?.nativeAllocationsAtPeak ?? 0);
    const legend = (doc.g as Node[]).filter((g) => g["@_class"] === "legend");
    expect(String(((legend[1] as Node).text as Node[])[0]?.["#text"])).toMatch(
      new RegExp(`in ${reported.nativeAllocationsAtPeak} slabs$`),
    );
  });
});

describe("countTicks", () => {
  it("uses 1, 2, 5 steps while their labels stay 14 px apart, powers of ten (and no 1) beyond", () => {
    expect(countTicks(0, 180)).toEqual([0, 1]);
    expect(countTicks(3, 180)).toEqual([0, 1, 2, 5]);
    expect(countTicks(79, 180)).toEqual([0, 1, 2, 5, 10, 20, 50, 100]);
    expect(countTicks(100, 180)).toEqual([0, 1, 2, 5, 10, 20, 50, 100]);
    expect(countTicks(999, 180)).toEqual([0, 1, 10, 100, 1000]);
    expect(countTicks(400_000, 180)).toEqual([0, 10, 100, 1000, 10_000, 100_000, 1_000_000]);
    for (const max of [1, 4, 29, 101, 999, 5000, 499_000, 10 ** 6]) {
      const ticks = countTicks(max, 180);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
      expect(ticks.at(-2)).toBeLessThan(max);
      const px = 180 / Math.log10(1 + (ticks.at(-1) as number));
      for (let k = 1; k < ticks.length; k++) {
        const gap =
          (Math.log10(1 + (ticks[k] as number)) - Math.log10(1 + (ticks[k - 1] as number))) * px;
        expect(gap).toBeGreaterThanOrEqual(14);
      }
    }
  });
});
