import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { binaryTicks, formatBinaryTick, renderLineChart } from "../src/chart.js";
import { escapeXml, textWidth } from "../src/chart-text.js";
import { replayCommand } from "../src/commands/replay-command.js";
import { SAMPLE_TRACE_PATH } from "../src/fixtures.js";
import type { CommandIO } from "../src/io.js";
import { stepMarks } from "../src/replay-chart.js";
import { parseTrace } from "../src/trace.js";

const lines: string[] = [];
const io: CommandIO = { out: (l) => lines.push(l), err: (l) => lines.push(l), errIsTTY: false };
const parser = new XMLParser({
  ignoreAttributes: false,
  isArray: (name) => ["path", "g", "text", "line"].includes(name),
});
const UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 };

type Node = Record<string, unknown> & { text?: Node[]; line?: Node[] };
const textOf = (t: Node) => String(t["#text"] ?? "");
const groups = (doc: { svg: { g?: Node[] } }, cls: string) =>
  (doc.svg.g ?? []).filter((g) => g["@_class"] === cls);

function chartOf(trace: string, extra: { policy?: string } = {}) {
  const file = join(mkdtempSync(join(tmpdir(), "mlx-chart-")), "chart.svg");
  replayCommand(trace, { chart: file, json: true, backend: "host", ...extra }, io);
  const svg = readFileSync(file, "utf8");
  expect(XMLValidator.validate(svg)).toBe(true);
  return { svg, doc: parser.parse(svg) };
}

/** The bytes an axis label such as "1.5 MiB" or "0" stands for. */
function labelBytes(label: string): number {
  if (label === "0") return 0;
  const [value, unit] = label.split(" ");
  return Number(value) * (UNITS[unit as string] as number);
}

describe("--chart", () => {
  const { svg, doc } = chartOf(SAMPLE_TRACE_PATH);
  const [, , width = 0, height = 0] = String(doc.svg["@_viewBox"]).split(" ").map(Number);

  it("draws one held line per configuration and the live line, named in words users know", () => {
    const names = (doc.svg.path as Node[]).map((p) => p["@_data-series"]);
    expect(names).toEqual([
      expect.stringMatching(
        /^held \(reserved\), seed: power-of-two classes.*; peak ×1\.\d\d of live in \d+ buffers$/,
      ),
      expect.stringMatching(
        /^held \(reserved\), lean: sub-allocation.*; peak ×1\.\d\d of live in \d+ slabs?$/,
      ),
      expect.stringMatching(
        /^held \(reserved\), divisions: .*; peak ×1\.\d\d of live in \d+ buffers$/,
      ),
      expect.stringMatching(/^live \(allocated\)/),
    ]);
    for (const p of doc.svg.path as Node[])
      expect(p["@_d"]).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+$/);
  });

  it("puts y ticks at round binary sizes: multiples of one power of two, labelled exactly", () => {
    const ticks = groups(doc, "y-tick");
    const bytes = ticks.map((g) => Number(g["@_data-bytes"]));
    expect(bytes[0]).toBe(0);
    const step = bytes[1] as number;
    expect(Math.log2(step) % 1).toBe(0);
    expect(bytes).toEqual(bytes.map((_, k) => k * step));
    // The top tick is the first multiple at or above the held peak.
    const peak = Math.max(
      ...lines.flatMap((l) => (l.startsWith("{") ? [JSON.parse(l).peakHeldBytes] : [])),
    );
    expect(bytes.at(-1)).toBeGreaterThanOrEqual(peak);
    expect((bytes.at(-1) as number) - step).toBeLessThan(peak);
    for (const g of ticks) {
      const label = textOf((g.text as Node[])[0] as Node);
      expect(label).toMatch(/^(0|\d+(\.\d{1,3})? (B|KiB|MiB|GiB))$/);
      expect(labelBytes(label)).toBe(Number(g["@_data-bytes"]));
    }
    expect(ticks.length).toBeGreaterThanOrEqual(6); // 0 and 5 to 8 steps
    expect(ticks.length).toBeLessThanOrEqual(9);
  });

  it("marks every step (token) on the x axis at its first op", () => {
    const trace = parseTrace(readFileSync(SAMPLE_TRACE_PATH, "utf8"));
    const starts: number[] = [];
    let op = 0;
    for (const step of trace.steps) {
      starts.push(op);
      op += step.length;
    }
    const marks = groups(doc, "x-mark");
    expect(marks.map((g) => Number(g["@_data-at"]))).toEqual(starts);
    // Position: the mark's line sits where op `at` of `op` ops falls on the plot.
    const axis = (doc.svg.line as Node[]).find(
      (l) => l["@_y1"] === l["@_y2"] && l["@_stroke"] === "#000",
    ) as Node;
    const left = Number(axis["@_x1"]);
    const right = Number(axis["@_x2"]);
    for (const g of marks) {
      const x = Number(((g.line as Node[])[0] as Node)["@_x1"]);
      expect(x).toBeCloseTo(left + (Number(g["@_data-at"]) / (op - 1)) * (right - left), 0);
    }
    const labels = marks.flatMap((g) => (g.text ?? []).map(textOf));
    expect(labels[0]).toBe("0");
    expect(labels.every((l, k) => k === 0 || Number(l) > Number(labels[k - 1]))).toBe(true);
    expect(svg).toContain("step (token)");
    expect(svg).not.toContain("op index");
  });

  it("keeps the legend, the notes and the title inside the viewBox", () => {
    const legend = groups(doc, "legend");
    expect(legend).toHaveLength(4);
    for (const g of legend) {
      const t = (g.text as Node[])[0] as Node;
      const x = Number(t["@_x"]);
      const y = Number(t["@_y"]);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x + textWidth(textOf(t))).toBeLessThanOrEqual(width);
      expect(y + 6).toBeLessThanOrEqual(height);
    }
    const texts = (doc.svg.text as Node[]).filter((t) =>
      ["title", "subtitle", "note"].includes(String(t["@_class"])),
    );
    expect(texts.length).toBe(6);
    for (const t of texts) {
      const size = t["@_class"] === "title" ? 16 : 12;
      const w = textWidth(textOf(t), size);
      const x = Number(t["@_x"]);
      const from = t["@_text-anchor"] === "middle" ? x - w / 2 : x;
      const to = from + w;
      expect(from).toBeGreaterThanOrEqual(0);
      expect(to).toBeLessThanOrEqual(width);
      expect(Number(t["@_y"])).toBeLessThanOrEqual(height);
    }
  });

  it("has a title a person reads, not the file path, and explains the footprint ratio", () => {
    const title = textOf((doc.svg.text as Node[]).find((t) => t["@_class"] === "title") as Node);
    expect(title).toBe(
      "Memory the pool holds vs. memory in use, replaying decode-mistral-small.json",
    );
    expect(title).not.toContain("/");
    const notes = (doc.svg.text as Node[]).filter((t) => t["@_class"] === "note").map(textOf);
    expect(notes.join(" ")).toMatch(/footprint ratio: peak held ÷ peak live/);
    expect(notes.join(" ")).toMatch(
      /held line is slab bytes: it moves only when slabs .* are made or freed/,
    );
  });

  it("adds a line for a --policy given beside seed, lean and divisions, and grows to fit its legend", () => {
    const { doc: three } = chartOf(SAMPLE_TRACE_PATH, { policy: "pow2-div4" });
    const names = (three.svg.path as Node[]).map((p) => p["@_data-series"]);
    expect(names).toEqual([
      expect.stringMatching(/^held \(reserved\), seed:/),
      expect.stringMatching(/^held \(reserved\), lean:/),
      expect.stringMatching(/^held \(reserved\), divisions:/),
      expect.stringMatching(/^held \(reserved\), seed with pow2-div4; peak ×/),
      expect.stringMatching(/^live/),
    ]);
    const [, , wide = 0] = String(three.svg["@_viewBox"]).split(" ").map(Number);
    for (const name of names) expect(84 + 34 + textWidth(String(name))).toBeLessThanOrEqual(wide);
  }, 30_000);
});

describe("chart pieces", () => {
  it("binaryTicks: 5 to 8 steps of a power of two, the last at or above the maximum", () => {
    for (const max of [1, 7, 1000, 1024, 5_000_000, 39.1 * 2 ** 20, 3 * 2 ** 30, 2 ** 40 + 1]) {
      const ticks = binaryTicks(max);
      const step = ticks[1] as number;
      expect(Number.isInteger(Math.log2(step))).toBe(true);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
      expect((ticks.at(-1) as number) - step).toBeLessThan(max);
      expect(ticks.length - 1).toBeLessThanOrEqual(8);
      if (max >= 8) expect(ticks.length - 1).toBeGreaterThanOrEqual(4);
    }
  });

  it("formatBinaryTick labels multiples of powers of two exactly", () => {
    expect(formatBinaryTick(0)).toBe("0");
    expect(formatBinaryTick(512)).toBe("512 B");
    expect(formatBinaryTick(1536 * 1024)).toBe("1.5 MiB");
    expect(formatBinaryTick(8 * 2 ** 20)).toBe("8 MiB");
    expect(formatBinaryTick(1.125 * 2 ** 30)).toBe("1.125 GiB");
  });

  it("stepMarks labels round strides that never crowd, and marks every step while few", () => {
    const uniform = Array.from({ length: 25 }, (_, s) => s * 550);
    const marks = stepMarks(uniform, 25 * 550);
    expect(marks.map((m) => m.at)).toEqual(uniform);
    expect(marks.filter((m) => m.label !== null).map((m) => m.label)).toEqual(
      Array.from({ length: 13 }, (_, k) => String(2 * k)),
    );
    const many = Array.from({ length: 1000 }, (_, s) => s * 10);
    const labels = stepMarks(many, 10_000).filter((m) => m.label !== null);
    const stride = Number(labels[1]?.label);
    expect([10, 20, 50, 100]).toContain(stride);
    expect(labels.map((m) => m.label)).toEqual(labels.map((_, k) => String(k * stride)));
    // A long prefill then short steps: no label closer than 40 px to the one before.
    const skewed = [0, 9000, ...Array.from({ length: 50 }, (_, k) => 9001 + 20 * k)];
    const px = (at: number) => (at / 10_000) * (960 - 84 - 28);
    const shown = stepMarks(skewed, 10_000).filter((m) => m.label !== null);
    for (let k = 1; k < shown.length; k++)
      expect(
        px((shown[k] as { at: number }).at) - px((shown[k - 1] as { at: number }).at),
      ).toBeGreaterThanOrEqual(40);
  });

  it("escapes text", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
    const svg = renderLineChart([{ name: "<held & co>", values: [1, 2, 3] }], { title: "t<&>" });
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(parser.parse(svg).svg.path[0]?.["@_data-series"]).toBe("<held & co>");
  });
});
