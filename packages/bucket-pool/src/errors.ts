/** Every error code the `@mlx` packages throw. `code` is the stable contract; messages may change. */
export type ErrorCode =
  | "DEVICE_NOT_FOUND"
  | "BUFFER_ALLOCATION"
  | "RESIDENCY"
  | "INVALID_ARGUMENT"
  | "STALE_BUFFER"
  | "DISPOSED"
  | "MEMORY_LIMIT"
  | "UNSUPPORTED_BACKEND";

/** Error thrown by every `@mlx` package for bad input or a failed operation. */
export class MlxError extends Error {
  readonly code: ErrorCode;
  /** The offending value, when there is one. */
  readonly value: unknown;
  /** Requested bytes, set on `BUFFER_ALLOCATION` errors. */
  readonly bytes: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details: { value?: unknown; bytes?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "MlxError";
    this.code = code;
    this.value = details.value;
    this.bytes = details.bytes;
  }
}

/** Formats a value for an error message: strings quoted, bigints with `n`, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean" || value == null)
    return String(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(", ")}]`;
  return Object.prototype.toString.call(value);
}

/** The error every entry point of a disposed pool throws. */
export function disposedError(where: string): MlxError {
  return new MlxError("DISPOSED", `${where}: the pool has been disposed`, { value: where });
}
