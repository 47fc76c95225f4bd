import { MlxError } from "./errors.js";
import { MAX_BYTE_LENGTH } from "./size-policy.js";

/** Throws `INVALID_ARGUMENT` unless `n` is an integer in [1, 2^53]. Cheap enough for the hot path. */
export function checkByteLength(n: number, where: string): void {
  if (!(n >= 1 && n <= MAX_BYTE_LENGTH && Number.isInteger(n))) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: byteLength must be a positive integer no larger than 2^53, got ${typeof n === "number" ? String(n) : `${typeof n} ${String(n)}`}`,
      { value: n },
    );
  }
}

/** Throws `INVALID_ARGUMENT` unless `n` is undefined or a non-negative number (Infinity allowed). */
export function checkLimit(n: number | undefined, name: string, min = 0): void {
  if (n === undefined) return;
  if (typeof n !== "number" || Number.isNaN(n) || n < min) {
    throw new MlxError("INVALID_ARGUMENT", `${name} must be a number >= ${min}, got ${String(n)}`, {
      value: n,
    });
  }
}
