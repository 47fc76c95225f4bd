import { describeValue, MlxError } from "@mlx/bucket-pool";
import { DType } from "./dtype.js";

/**
 * Checks `dtype` and `shape` against `byteLength` without allocating: the product of the extents
 * times the element size must fit. Returns the element count.
 */
export function checkDtypeAndShape(
  where: string,
  byteLength: number,
  dtype: DType,
  shape: readonly number[],
): number {
  if (!(dtype instanceof DType)) {
    throw new MlxError("INVALID_ARGUMENT", `${where}: unknown dtype ${describeValue(dtype)}`, {
      value: dtype,
    });
  }
  if (!Array.isArray(shape)) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: shape must be an array, got ${describeValue(shape)}`,
      {
        value: shape,
      },
    );
  }
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const extent = shape[i] as number;
    if (!(extent >= 0 && Number.isSafeInteger(extent))) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `${where}: shape extent ${i} must be a non-negative integer, got ${describeValue(extent)} in ${describeValue(shape)}`,
        { value: shape },
      );
    }
    count *= extent;
  }
  if (count * dtype.size > byteLength) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: shape ${describeValue(shape)} of ${dtype.name} needs ${count * dtype.size} bytes, more than byteLength ${byteLength}`,
      { value: shape },
    );
  }
  return count;
}
