import { describeValue, MlxError } from "@mlx/errors";
import { DType } from "./dtype.js";

/** The dtype that last passed {@link elementCountOrMinusOne}'s brand check (never null). */
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
  const count = elementCountOrMinusOne(byteLength, dtype, shape);
  if (count < 0) throw dtypeOrShapeError(where, byteLength, dtype, shape);
  return count;
}

/**
 * {@link checkDtypeAndShape}'s test alone: the element count, or -1 where it would throw. It
 * builds no error (only reading `shape` can throw, a getter's own error), so that a loop over
 * many requests pays for no message and no handler.
 */
export function elementCountOrMinusOne(
  byteLength: number,
  dtype: DType,
  shape: readonly number[],
): number {
  // A dtype is a frozen singleton: once one passed the brand check, identity with it suffices.
  if (dtype !== lastDtype) {
    if (!DType.is(dtype)) return -1;
    lastDtype = dtype;
  }
  if (!Array.isArray(shape)) return -1;
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const extent = shape[i] as number;
    if (!(extent >= 0 && Number.isSafeInteger(extent))) return -1;
    count *= extent;
  }
  return count * dtype.size <= byteLength ? count : -1;
}

/**
 * The error {@link checkDtypeAndShape} throws for arguments {@link elementCountOrMinusOne}
 * refused: the first check they fail, read again. Arguments that pass this second reading
 * changed in between (a getter on the shape): that is the error then.
 */
export function dtypeOrShapeError(
  where: string,
  byteLength: number,
  dtype: DType,
  shape: readonly number[],
): MlxError {
  if (!DType.is(dtype) || !Array.isArray(shape)) return badDtypeOrShape(where, dtype, shape);
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const extent = shape[i] as number;
    if (!(extent >= 0 && Number.isSafeInteger(extent))) return badExtent(where, shape, i);
    count *= extent;
  }
  if (!(count * dtype.size <= byteLength)) return tooLarge(where, byteLength, dtype, shape, count);
  return new MlxError(
    "INVALID_ARGUMENT",
    `${where}: shape ${describeValue(shape)} changed while it was read (a getter on it?)`,
    { value: shape },
  );
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
