/**
 * Every error code the `@mlx` packages throw, in one list. The TypeScript layers and the native
 * addon's error bridge both check codes against it; `code` is the stable contract, messages may
 * change.
 */
export const ERROR_CODES = [
  "DEVICE_NOT_FOUND",
  "BUFFER_ALLOCATION",
  "RESIDENCY",
  "INVALID_ARGUMENT",
  "STALE_BUFFER",
  "DISPOSED",
  "MEMORY_LIMIT",
  "UNSUPPORTED_BACKEND",
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

/** True when `value` is one of {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && CODE_SET.has(value);
}
