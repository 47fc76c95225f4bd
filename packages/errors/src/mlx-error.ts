import type { ErrorCode } from "./codes.js";

// A registry symbol, not a module-local one: two installed copies of this package (a
// dependency of a dependency, say) brand their errors alike, so isMlxError agrees across them
// where instanceof cannot.
const BRAND: unique symbol = Symbol.for("@mlx/errors.MlxError") as never;

/** Details an {@link MlxError} may carry beside its code and message. */
export interface MlxErrorDetails {
  /** The offending value. */
  value?: unknown;
  /** Requested bytes (`BUFFER_ALLOCATION`). */
  bytes?: number;
  /** The error this one wraps. */
  cause?: unknown;
}

/** Error thrown by every `@mlx` package for bad input or a failed operation. */
export class MlxError extends Error {
  readonly code: ErrorCode;
  /** The offending value, when there is one. */
  readonly value: unknown;
  /** Requested bytes, set on `BUFFER_ALLOCATION` errors. */
  readonly bytes: number | undefined;
  /** @internal */
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, details: MlxErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "MlxError";
    this.code = code;
    this.value = details.value;
    this.bytes = details.bytes;
    this[BRAND] = true;
  }
}

/** True for an {@link MlxError} from any installed copy of `@mlx/errors`. */
export function isMlxError(error: unknown): error is MlxError {
  return (
    typeof error === "object" && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true
  );
}
