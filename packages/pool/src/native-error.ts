import { type ErrorCode, isErrorCode, MlxError } from "@mlx/errors";

/**
 * Turns an error thrown by the native layer (an `Error` with `code`) into an `MlxError`; a code
 * outside `ERROR_CODES` becomes `fallback`.
 */
export function fromNativeError(error: unknown, fallback: ErrorCode): MlxError {
  if (error instanceof MlxError) return error;
  const native = error as { code?: unknown; message?: unknown; value?: unknown; bytes?: unknown };
  const code = isErrorCode(native?.code) ? native.code : fallback;
  const message = typeof native?.message === "string" ? native.message : String(error);
  const details: { value?: unknown; bytes?: number; cause?: unknown } = { cause: error };
  if (native?.value !== undefined) details.value = native.value;
  if (typeof native?.bytes === "number") details.bytes = native.bytes;
  return new MlxError(code, message, details);
}
