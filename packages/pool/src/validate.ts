import { describeValue, MlxError } from "@mlx/errors";
import { DType } from "./dtype.js";

/** The dtype that last passed {@link checkDtypeAndShape}'s brand check (never null). */
let lastDtype: DType = DType.F32;

/**
 * Checks `dtype` and `shape` against `byteLength` without allocating: the product of the extents
 * times the element size must fit. Returns the element count. The error paths live in separate
 * functions so that this one stays small enough to inline into `alloc`.
 */
export function checkDtypeAndShape(
  where: string,
  byteLength: number,
  dtype: DType,
  shape: readonly number[],
): number {
  // A dtype is a frozen singleton: once one passed the brand check, identity with it suffices.
  if (dtype !== lastDtype) {
    if (!DType.is(dtype)) throw badDtypeOrShape(where, dtype, shape);
    lastDtype = dtype;
  }
  if (!Array.isArray(shape)) throw badDtypeOrShape(where, dtype, shape);
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const extent = shape[i] as number;
    if (!(extent >= 0 && Number.isSafeInteger(extent))) throw badExtent(where, shape, i);
    count *= extent;
  }
  if (!(count * dtype.size <= byteLength)) throw tooLarge(where, byteLength, dtype, shape, count);
  return count;
}

function badDtypeOrShape(where: string, dtype: unknown, shape: unknown): MlxError {
  return DType.is(dtype)
    ? new MlxError(
        "INVALID_ARGUMENT",
        `${where}: shape must be an array, got ${describeValue(shape)}`,
        {
          value: shape,
        },
      )
    : new MlxError("INVALID_ARGUMENT", `${where}: unknown dtype ${describeValue(dtype)}`, {
        value: dtype,
      });
}

function badExtent(where: string, shape: readonly number[], i: number): MlxError {
  return new MlxError(
    "INVALID_ARGUMENT",
    `${where}: shape extent ${i} must be a non-negative integer, got ${describeValue(shape[i])} in ${describeValue(shape)}`,
    { value: shape },
  );
}

function tooLarge(
  where: string,
  byteLength: number,
  dtype: DType,
  shape: readonly number[],
  count: number,
): MlxError {
  return new MlxError(
    "INVALID_ARGUMENT",
    `${where}: shape ${describeValue(shape)} of ${dtype.name} needs ${count * dtype.size} bytes, more than byteLength ${byteLength}`,
    { value: shape },
  );
}
