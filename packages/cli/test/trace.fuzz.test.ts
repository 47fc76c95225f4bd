// Fuzzing the trace parser: arbitrary JSON, truncated text and mutated valid traces must either
// parse or fail with one TraceError that locates the problem; valid traces replay as modelled.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTrace, replayTrace, TRACE_FORMAT, TraceError } from "../src/index.js";

type Op = ["a", number, number] | ["f", number] | ["r"];

/** A valid trace: frees and resets only ever name live ids. */
const validTrace = fc
  .array(
    fc.array(
      fc.tuple(fc.constantFrom("a", "a", "f", "r"), fc.nat(), fc.integer({ min: 1, max: 70_000 })),
      {
        maxLength: 30,
      },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((rawSteps) => {
    const live: number[] = [];
    let nextId = 0;
    const steps: Op[][] = rawSteps.map((raw) =>
      raw.flatMap(([kind, pick, size]): Op[] => {
        if (kind === "a") {
          live.push(nextId);
          return [["a", nextId++, size]];
        }
        if (kind === "f" && live.length > 0)
          return [["f", live.splice(pick % live.length, 1)[0] as number]];
        if (kind === "r") {
          live.length = 0;
          return [["r"]];
        }
        return [];
      }),
    );
    return { format: TRACE_FORMAT, steps };
  });

function parseOutcome(text: string): "ok" | TraceError {
  try {
    parseTrace(text);
    return "ok";
  } catch (error) {
    // Anything but a TraceError is a parser bug: it would not print one located line.
    expect(error).toBeInstanceOf(TraceError);
    return error as TraceError;
  }
}

/** Mutations that each make a valid trace invalid at a known step and op. */
const mutation = fc.constantFrom(
  "unknownOp",
  "negativeSize",
  "fractionalSize",
  "zeroSize",
  "stringSize",
  "releaseUnknown",
  "duplicateId",
);

describe("trace parser fuzzing", () => {
  it("arbitrary JSON documents parse or fail with a TraceError", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        parseOutcome(JSON.stringify(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("arbitrary documents with the right tag parse or fail with a TraceError", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (steps) => {
        parseOutcome(JSON.stringify({ format: TRACE_FORMAT, steps }));
      }),
      { numRuns: 2000 },
    );
  });

  it("truncated traces fail with a TraceError, never another exception", () => {
    fc.assert(
      fc.property(validTrace, fc.nat(), (trace, cut) => {
        const text = JSON.stringify(trace);
        const truncated = text.slice(0, cut % text.length);
        const outcome = parseOutcome(truncated);
        expect(outcome).toBeInstanceOf(TraceError);
      }),
      { numRuns: 500 },
    );
  });

  it("each mutation of a valid trace is reported at the mutated step and op", () => {
    fc.assert(
      fc.property(validTrace, mutation, fc.nat(), (trace, kind, pick) => {
        const allocs = trace.steps.flatMap((step, s) =>
          step.flatMap((op, o) => (op[0] === "a" ? [{ s, o, op }] : [])),
        );
        fc.pre(allocs.length > 0);
        const target = allocs[pick % allocs.length] as {
          s: number;
          o: number;
          op: ["a", number, number];
        };
        const steps = trace.steps.map((step) => step.map((op) => [...op])) as unknown[][][];
        const step = steps[target.s] as unknown[][];
        let at = { s: target.s, o: target.o };
        switch (kind) {
          case "unknownOp":
            step[target.o] = ["x", target.op[1], target.op[2]];
            break;
          case "negativeSize":
            step[target.o] = ["a", target.op[1], -target.op[2]];
            break;
          case "fractionalSize":
            step[target.o] = ["a", target.op[1], target.op[2] + 0.5];
            break;
          case "zeroSize":
            step[target.o] = ["a", target.op[1], 0];
            break;
          case "stringSize":
            step[target.o] = ["a", target.op[1], String(target.op[2])];
            break;
          case "releaseUnknown":
            step.splice(target.o + 1, 0, ["f", 1_000_000_007]);
            at = { s: target.s, o: target.o + 1 };
            break;
          case "duplicateId":
            step.splice(target.o + 1, 0, ["a", target.op[1], 8]);
            at = { s: target.s, o: target.o + 1 };
            break;
        }
        const outcome = parseOutcome(JSON.stringify({ format: TRACE_FORMAT, steps }));
        expect(outcome).toBeInstanceOf(TraceError);
        expect((outcome as TraceError).step).toBe(at.s);
        expect((outcome as TraceError).op).toBe(at.o);
        expect((outcome as TraceError).message).toMatch(new RegExp(`^step ${at.s}, op ${at.o}: `));
      }),
      { numRuns: 500 },
    );
  });

  it("valid traces parse and replay with the counts they contain", () => {
    fc.assert(
      fc.property(validTrace, (trace) => {
        const parsed = parseTrace(JSON.stringify(trace));
        const ops = parsed.steps.flat();
        const result = replayTrace(parsed, { warmupSteps: 1 });
        expect(result.allocs).toBe(ops.filter((op) => op[0] === "a").length);
        expect(result.releases).toBe(ops.filter((op) => op[0] === "f").length);
        expect(result.resets).toBe(ops.filter((op) => op[0] === "r").length);
        expect(result.freshAllocations).toBeLessThanOrEqual(result.allocs);
        if (result.peakLiveBytes > 0) expect(result.footprintRatio).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });
});
