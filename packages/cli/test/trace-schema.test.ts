import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parseTrace, TraceError } from "../src/trace.js";
import { TRACE_SCHEMA, TRACE_SCHEMA_URL, traceSchemaProblem } from "../src/trace-schema.js";
import { runCli } from "./cli-process.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const dir = mkdtempSync(join(tmpdir(), "mlx-trace-schema-"));
const doc = (steps: unknown, extra: Record<string, unknown> = {}) => ({
  format: "mlx-pool-trace/1",
  ...extra,
  steps,
});

describe("the published schema", () => {
  it("ships in the package and is exported as ./trace-schema.json", () => {
    expect(manifest.files).toContain("trace-schema.json");
    expect(manifest.exports["./trace-schema.json"]).toBe("./trace-schema.json");
    const resolved = createRequire(import.meta.url).resolve("@mlx/cli/trace-schema.json");
    expect(resolved).toBe(fileURLToPath(TRACE_SCHEMA_URL));
    expect(TRACE_SCHEMA.title).toBe("mlx-pool-trace/1");
  });

  it("is a valid draft 2020-12 schema under ajv's strict mode (open tuples allowed)", () => {
    const ajv = new Ajv2020({ strict: true, strictTuples: false });
    expect(ajv.validateSchema(TRACE_SCHEMA)).toBe(true);
    expect(() => ajv.compile(TRACE_SCHEMA)).not.toThrow();
  });

  it("accepts every fixture, the real capture and the synthetic ones", () => {
    const files = [
      join(FIXTURES, "decode-mistral-small.json"),
      ...readdirSync(join(FIXTURES, "synthetic")).map((f) => join(FIXTURES, "synthetic", f)),
    ];
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files)
      expect(traceSchemaProblem(JSON.parse(readFileSync(file, "utf8")))).toBeNull();
  });
});

describe("traceSchemaProblem", () => {
  it.each([
    [
      "an unknown op",
      doc([
        [["a", 0, 8]],
        [
          ["a", 1, 8],
          ["x", 1],
        ],
      ]),
      1,
      1,
      /^item 0 must be equal to one of the allowed values/,
    ],
    ["a fractional size", doc([[["a", 0, 1.5]]]), 0, 0, /^item 2 must be integer/],
    ["a zero size", doc([[["a", 0, 0]]]), 0, 0, /^item 2 must be >= 1/],
    ["a negative id", doc([[["r"]], [["f", -1]]]), 1, 0, /^item 1 must be >= 0/],
    [
      "a reset with an argument",
      doc([[], [], [["r", 1]]]),
      2,
      0,
      /must NOT have more than 1 items/,
    ],
    ["an op that is not an array", doc([[["a", 0, 8], 7]]), 0, 1, /must be array/],
    ["a step that is not an array", doc([[], {}]), 1, null, /must be array/],
  ])("locates %s at its step and op", (_name, document, step, op, detail) => {
    const problem = traceSchemaProblem(document);
    expect(problem).toMatchObject({ step, op });
    expect(problem?.detail).toMatch(detail);
    expect(problem?.detail).toMatch(/ \(trace schema\)$/);
  });

  it.each([
    [
      "a wrong format tag",
      { format: "mlx-pool-trace/2", steps: [] },
      /^format must be equal to constant/,
    ],
    [
      "no steps",
      { format: "mlx-pool-trace/1" },
      /^the document must have required property 'steps'/,
    ],
    ["a description that is not text", doc([], { description: 5 }), /^description must be string/],
    ["not an object", [1, 2], /^the document must be object/],
  ])("names the field for %s, outside any step", (_name, document, detail) => {
    const problem = traceSchemaProblem(document);
    expect(problem).toMatchObject({ step: null, op: null });
    expect(problem?.detail).toMatch(detail);
  });

  it("accepts a well-formed trace, ids reused after a reset included", () => {
    expect(
      traceSchemaProblem(doc([[["a", 0, 8], ["f", 0], ["a", 0, 16], ["r"]], [["a", 0, 4]]])),
    ).toBeNull();
  });
});

describe("parseTrace with the schema", () => {
  it("keeps the located messages of the hand checks", () => {
    const text = JSON.stringify(
      doc([
        [["a", 0, 8]],
        [
          ["a", 1, 8],
          ["x", 1],
        ],
      ]),
    );
    expect(() => parseTrace(text)).toThrow(new TraceError('unknown op "x"', 1, 1));
  });

  it("reports what only the schema sees as one located line from the CLI", () => {
    const file = join(dir, "bad-description.json");
    writeFileSync(file, JSON.stringify(doc([[["a", 0, 8]]], { description: ["not", "text"] })));
    const { code, stdout, stderr } = runCli(["replay", file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim()).toBe("mlx-pool replay: description must be string (trace schema)");
  });
});
