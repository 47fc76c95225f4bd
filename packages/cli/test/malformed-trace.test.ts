import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bucketSize, MlxDevice } from "@mlx/pool";
import { describe, expect, it } from "vitest";
import { parseTrace, TraceError } from "../src/trace.js";
import { runCli } from "./cli-process.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-pool-trace-"));
const wrap = (steps: unknown) => JSON.stringify({ format: "mlx-pool-trace/1", steps });

/** Each case: trace text and the single stderr line `mlx-pool replay` must print. */
const CASES: [string, string, RegExp][] = [
  [
    "a size above the device's maximum buffer length",
    wrap([[["a", 0, 8]], [["a", 1, 2 ** 52]]]),
    /^mlx-pool replay: step 1, op 0: size 4503599627370496 is above the host device's maximum buffer length \d+$/,
  ],
  [
    "unknown op",
    wrap([
      [["a", 0, 8]],
      [
        ["a", 1, 8],
        ["x", 1],
      ],
    ]),
    /^mlx-pool replay: step 1, op 1: unknown op "x"$/,
  ],
  [
    "release of an unknown id",
    wrap([
      [
        ["a", 0, 8],
        ["f", 0],
      ],
      [["f", 42]],
    ]),
    /^mlx-pool replay: step 1, op 0: release of unknown id 42$/,
  ],
  [
    "double release",
    wrap([
      [
        ["a", 0, 8],
        ["f", 0],
        ["f", 0],
      ],
    ]),
    /^mlx-pool replay: step 0, op 2: release of unknown id 0$/,
  ],
  [
    "release after reset",
    wrap([[["a", 5, 8], ["r"], ["f", 5]]]),
    /^mlx-pool replay: step 0, op 2: release of unknown id 5$/,
  ],
  [
    "duplicate live id",
    wrap([
      [["a", 3, 8]],
      [
        ["a", 4, 16],
        ["a", 3, 8],
      ],
    ]),
    /^mlx-pool replay: step 1, op 1: duplicate id 3/,
  ],
  [
    "negative size",
    wrap([[["a", 0, -8]]]),
    /^mlx-pool replay: step 0, op 0: size must be a positive integer, got -8$/,
  ],
  [
    "fractional size",
    wrap([
      [
        ["a", 0, 8],
        ["a", 1, 1.5],
      ],
    ]),
    /^mlx-pool replay: step 0, op 1: size must be a positive integer, got 1.5$/,
  ],
  [
    "zero size",
    wrap([[], [["a", 0, 0]]]),
    /^mlx-pool replay: step 1, op 0: size must be a positive integer, got 0$/,
  ],
  [
    "missing size",
    wrap([[["a", 0]]]),
    /^mlx-pool replay: step 0, op 0: alloc takes an id and a size/,
  ],
  [
    "string id",
    wrap([[["a", "x", 8]]]),
    /^mlx-pool replay: step 0, op 0: id must be a non-negative integer, got "x"$/,
  ],
  [
    "step not an array",
    wrap([[["a", 0, 8]], { ops: [] }]),
    /^mlx-pool replay: step 1: a step must be an array of ops/,
  ],
  [
    "op not an array",
    wrap([["a"]]),
    /^mlx-pool replay: step 0, op 0: an op must be a non-empty array/,
  ],
  [
    "wrong format tag",
    JSON.stringify({ format: "mlx-pool-trace/2", steps: [] }),
    /^mlx-pool replay: format must be "mlx-pool-trace\/1", got "mlx-pool-trace\/2"$/,
  ],
  [
    "steps not an array",
    JSON.stringify({ format: "mlx-pool-trace/1", steps: {} }),
    /^mlx-pool replay: steps must be an array, got \{\}$/,
  ],
  ["truncated JSON", wrap([[["a", 0, 8]]]).slice(0, 30), /^mlx-pool replay: not valid JSON/],
  ["not an object", "[1,2]", /^mlx-pool replay: expected a JSON object, got \[1,2\]$/],
];

describe("malformed traces", () => {
  it("a size the device accepts but whose size class it cannot allocate: exit 2 at its op", () => {
    const device = MlxDevice.open({ backend: "host" });
    const max = device.maxBufferLength;
    device.dispose();
    if (bucketSize(max) <= max) {
      console.log(`size-class case skipped: maxBufferLength ${max} is a power of two`);
      return;
    }
    const file = join(dir, "size-class-past-max.json");
    writeFileSync(
      file,
      wrap([
        [["a", 0, 8]],
        [
          ["a", 1, 8],
          ["a", 2, max],
        ],
      ]),
    );
    const { code, stdout, stderr } = runCli(["replay", file, "--json", "--backend", "host"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    const lines = stderr.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `mlx-pool replay: step 1, op 1: size ${max} fits the host device's maximum buffer length ${max}, but its size class ${bucketSize(max)} under policy pow2 does not`,
    );
  });

  it.each(CASES)("%s: exit code 2 and one line naming where", (name, text, line) => {
    const file = join(dir, `${name.replace(/\W+/g, "-")}.json`);
    writeFileSync(file, text);
    const { code, stdout, stderr } = runCli(["replay", file, "--json"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    const lines = stderr.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it("validates the whole trace before replaying: a bad last op fails with nothing printed", () => {
    const steps = Array.from({ length: 50 }, (_, s) => [
      ["a", s, 4096],
      ["f", s],
    ]);
    steps.push([["f", 999]]);
    const file = join(dir, "late-error.json");
    writeFileSync(file, wrap(steps));
    const { code, stdout, stderr } = runCli(["replay", file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim()).toBe("mlx-pool replay: step 50, op 0: release of unknown id 999");
  });

  it("a missing file is one line and exit code 2", () => {
    const { code, stderr } = runCli(["replay", join(dir, "nope.json")]);
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(/^mlx-pool replay: cannot read .*nope\.json: ENOENT$/);
  });

  it("parseTrace reports step and op on the error object", () => {
    const error = (() => {
      try {
        parseTrace(
          wrap([
            [["a", 1, 8]],
            [
              ["a", 2, 8],
              ["f", 7],
            ],
          ]),
        );
      } catch (e) {
        return e;
      }
    })() as TraceError;
    expect(error).toBeInstanceOf(TraceError);
    expect([error.step, error.op]).toEqual([1, 1]);
  });

  it("ids may be reused once their buffer is gone", () => {
    const trace = parseTrace(wrap([[["a", 1, 8], ["f", 1], ["a", 1, 16], ["r"], ["a", 1, 32]]]));
    expect(trace.steps[0]).toHaveLength(5);
  });
});

describe("bad usage", () => {
  it.each([
    [["replay", "trace.json", "--preset", "bogus"], /--preset/],
    [["replay", "trace.json", "--warmup-steps", "-1"], /--warmup-steps/],
    [["demo", "--tokens", "0"], /--tokens/],
    [["info", "--backend", "vulkan"], /--backend/],
    [["nosuchcommand"], /unknown command/],
  ])("%j exits 2 with a message naming the problem", (args, pattern) => {
    const { code, stderr } = runCli(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(pattern);
  });

  it("--help exits 0", () => {
    const { code, stdout } = runCli(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: mlx-pool/);
  });
});
