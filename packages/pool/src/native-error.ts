import { type ErrorCode, MlxError } from "@mlx/bucket-pool";

const CODES = new Set<string>([
  "DEVICE_NOT_FOUND",
  "BUFFER_ALLOCATION",
  "RESIDENCY",
  "INVALID_ARGUMENT",
  "STALE_BUFFER",
  "DISPOSED",
  "MEMORY_LIMIT",
  "UNSUPPORTED_BACKEND",
]);

/** Turns an error thrown by the native layer (an `Error` with `code`) into an `MlxError`. */
export function fromNativeError(error: unknown, fallback: ErrorCode): MlxError {
  if (error instanceof MlxError) return error;
  const native = error as { code?: unknown; message?: unknown; value?: unknown; bytes?: unknown };
  const code = typeof native?.code === "string" && CODES.has(native.code) ? native.code : fallback;
  const message = typeof native?.message === "string" ? native.message : String(error);
  const details: { value?: unknown; bytes?: number; cause?: unknown } = { cause: error };
  if (native?.value !== undefined) details.value = native.value;
  if (typeof native?.bytes === "number") details.bytes = native.bytes;
  return new MlxError(code as ErrorCode, message, details);
}
