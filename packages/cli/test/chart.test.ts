import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { escapeXml, renderLineChart } from "../src/chart.js";
import { replayCommand } from "../src/commands/replay-command.js";
import { SAMPLE_TRACE_PATH } from "../src/fixtures.js";
import type { CommandIO } from "../src/io.js";

const lines: string[] = [];
const io: CommandIO = { out: (l) => lines.push(l), err: (l) => lines.push(l), errIsTTY: false };

function pathsOf(svg: string): { "@_data-series": string; "@_d": string }[] {
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === "path" }).parse(
    svg,
  );
  return doc.svg.path;
}

describe("--chart", () => {
  it("writes well-formed SVG with one held line per policy and the live line", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mlx-chart-")), "chart.svg");
    replayCommand(SAMPLE_TRACE_PATH, { chart: file, json: true, backend: "host" }, io);
    const svg = readFileSync(file, "utf8");
    expect(XMLValidator.validate(svg)).toBe(true);
    const names = pathsOf(svg).map((p) => p["@_data-series"]);
    expect(names).toHaveLength(3);
    expect(names[0]).toMatch(/^held: seed \(x1\.\d\d\)$/);
    expect(names[1]).toMatch(/^held: lean \(x1\.\d\d\)$/);
    expect(names[2]).toBe("live");
    for (const p of pathsOf(svg)) expect(p["@_d"]).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+$/);
    expect(svg).toContain("op index");
    expect(svg).toContain("MiB");
  });

  it("adds a line for a --policy given beside seed and lean", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mlx-chart-")), "chart.svg");
    replayCommand(SAMPLE_TRACE_PATH, { chart: file, policy: "pow2-div4", backend: "host" }, io);
    const names = pathsOf(readFileSync(file, "utf8")).map((p) => p["@_data-series"]);
    expect(names).toEqual([
      expect.stringMatching(/^held: seed/),
      expect.stringMatching(/^held: lean/),
      expect.stringMatching(/^held: seed with pow2-div4/),
      "live",
    ]);
  });

  it("escapes text", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
    const svg = renderLineChart([{ name: "<held & co>", values: [1, 2, 3] }], { title: "t<&>" });
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(pathsOf(svg)[0]?.["@_data-series"]).toBe("<held & co>");
  });
});
