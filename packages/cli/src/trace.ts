import { readFileSync } from "node:fs";
import { UsageError } from "./io.js";
import { traceSchemaProblem } from "./trace-schema.js";

/** The trace format `mlx-pool-trace/1`: steps of alloc, free and reset ops. */
export const TRACE_FORMAT = "mlx-pool-trace/1";

export type AllocOp = readonly ["a", number, number];
export type FreeOp = readonly ["f", number];
export type ResetOp = readonly ["r"];
export type TraceOp = AllocOp | FreeOp | ResetOp;

export interface Trace {
  readonly format: typeof TRACE_FORMAT;
  readonly description?: string;
  readonly steps: readonly (readonly TraceOp[])[];
}

/**
 * A malformed trace. `step` and `op` locate the first bad operation (null when the problem is the
 * document itself), so the CLI can print one line that points at it.
 */
export class TraceError extends Error {
  constructor(
    readonly detail: string,
    readonly step: number | null = null,
    readonly op: number | null = null,
  ) {
    super(
      step === null
        ? detail
        : op === null
          ? `step ${step}: ${detail}`
          : `step ${step}, op ${op}: ${detail}`,
    );
    this.name = "TraceError";
  }
}

/** Parses and validates JSON text; every problem is a {@link TraceError}. */
export function parseTrace(text: string): Trace {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new TraceError(`not valid JSON (${(error as Error).message})`);
  }
  return validateTrace(document);
}

/**
 * Checks a whole trace before anything drives a pool: the format tag, the shape of every op, ids
 * (no release of an id that is not live, no alloc of an id that is still live) and sizes
 * (positive safe integers), then the published JSON Schema (`trace-schema.json`), which also
 * checks the document's other fields. Ids may be reused after their buffer was freed or reset.
 */
export function validateTrace(document: unknown): Trace {
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new TraceError(`expected a JSON object, got ${describe(document)}`);
  }
  const { format, steps } = document as { format?: unknown; steps?: unknown };
  if (format !== TRACE_FORMAT) {
    throw new TraceError(`format must be ${JSON.stringify(TRACE_FORMAT)}, got ${describe(format)}`);
  }
  if (!Array.isArray(steps)) throw new TraceError(`steps must be an array, got ${describe(steps)}`);
  const live = new Set<number>();
  steps.forEach((step: unknown, s) => {
    if (!Array.isArray(step))
      throw new TraceError(`a step must be an array of ops, got ${describe(step)}`, s);
    step.forEach((op: unknown, o) => {
      checkOp(op, s, o, live);
    });
  });
  const problem = traceSchemaProblem(document);
  if (problem !== null) throw new TraceError(problem.detail, problem.step, problem.op);
  return document as Trace;
}

function checkOp(op: unknown, s: number, o: number, live: Set<number>): void {
  if (!Array.isArray(op) || op.length === 0)
    throw new TraceError(`an op must be a non-empty array, got ${describe(op)}`, s, o);
  const [kind, id, size] = op as unknown[];
  if (kind === "r") {
    if (op.length !== 1) throw new TraceError(`reset takes no arguments: ${describe(op)}`, s, o);
    live.clear();
    return;
  }
  if (kind !== "a" && kind !== "f") throw new TraceError(`unknown op ${describe(kind)}`, s, o);
  if (!Number.isSafeInteger(id) || (id as number) < 0) {
    throw new TraceError(`id must be a non-negative integer, got ${describe(id)}`, s, o);
  }
  const key = id as number;
  if (kind === "f") {
    if (op.length !== 2) throw new TraceError(`release takes one id: ${describe(op)}`, s, o);
    if (!live.delete(key)) throw new TraceError(`release of unknown id ${key}`, s, o);
    return;
  }
  if (op.length !== 3) throw new TraceError(`alloc takes an id and a size: ${describe(op)}`, s, o);
  if (!Number.isSafeInteger(size) || (size as number) <= 0) {
    throw new TraceError(`size must be a positive integer, got ${describe(size)}`, s, o);
  }
  if (live.has(key)) throw new TraceError(`duplicate id ${key}: allocated while still live`, s, o);
  live.add(key);
}

/** Reads and validates a trace file; a bad file is a one-line {@link UsageError}. */
export function loadTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return parseTrace(text);
  } catch (error) {
    if (error instanceof TraceError) throw new UsageError(error.message);
    throw error;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
