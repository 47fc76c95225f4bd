import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";

/** Where the published JSON Schema of `mlx-pool-trace/1` lies (exported as `./trace-schema.json`). */
export const TRACE_SCHEMA_URL = new URL("../trace-schema.json", import.meta.url);

/** The JSON Schema of `mlx-pool-trace/1` (draft 2020-12). */
export const TRACE_SCHEMA: Record<string, unknown> = JSON.parse(
  readFileSync(TRACE_SCHEMA_URL, "utf8"),
);

// An op's kind is its first item, matched by open tuples (`prefixItems` alone), which ajv's
// strictTuples lint would report; every other strict check stays on.
const validate = new Ajv2020({ strict: true, strictTuples: false }).compile(TRACE_SCHEMA);

/** A schema violation: what is wrong, and the step and op it lies in (null outside them). */
export interface SchemaProblem {
  detail: string;
  step: number | null;
  op: number | null;
}

/** Checks a document against the published schema; null when it conforms. */
export function traceSchemaProblem(document: unknown): SchemaProblem | null {
  if (validate(document)) return null;
  const error = mostSpecific(validate.errors ?? []);
  const [, top, step, op, item] = (error?.instancePath ?? "").split("/");
  const message = `${error?.message ?? "is invalid"} (trace schema)`;
  if (top === "steps" && step !== undefined) {
    return {
      detail: item === undefined ? message : `item ${item} ${message}`,
      step: Number(step),
      op: op === undefined ? null : Number(op),
    };
  }
  return { detail: top ? `${top} ${message}` : `the document ${message}`, step: null, op: null };
}

/**
 * The error deepest in the document says most about what is wrong; an `if` error only repeats
 * that its `then` failed.
 */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject | undefined {
  let best: ErrorObject | undefined;
  for (const error of errors) {
    if (error.keyword === "if") continue;
    if (best === undefined || error.instancePath.length > best.instancePath.length) best = error;
  }
  return best;
}
