import { checkSizePolicy, pow2, type SizePolicy, sizePolicyByName } from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";

/** Options of a {@link WebGpuBufferPool}; every limit is off unless set. */
export interface WebGpuPoolOptions {
  /**
   * Size classes: a policy or its name (`pow2`, `pow2-div4`, ...), or `"arena"`: leases are
   * ranges of a few large GPUBuffers (slabs), bound at `byteOffset`. Default `pow2`.
   */
  policy?: SizePolicy | string | undefined;
  /** Cache limit: free bytes above it are destroyed, least recently freed first. */
  maxFreeBytes?: number | undefined;
  /** Most bytes (capacities) the pool may hold at once; past it `alloc` is `MEMORY_LIMIT`. */
  maxHeldBytes?: number | undefined;
  /** Most GPUBuffers the pool may hold at once; past it `alloc` is `MEMORY_LIMIT`. */
  maxBuffers?: number | undefined;
  /** Label of every GPUBuffer the pool creates (followed by its capacity), for debuggers. */
  label?: string | undefined;
}

/** Resolves the policy option, capped at the device's largest buffer. */
export function resolvePolicy(
  policy: WebGpuPoolOptions["policy"],
  maxBufferSize: number,
): SizePolicy {
  const base =
    policy === undefined
      ? pow2
      : typeof policy === "string"
        ? sizePolicyByName(policy)
        : checkSizePolicy(policy);
  // A request the device accepts must never round up to a class it refuses.
  const cap = (n: number): number => {
    const c = base.bucketSize(n);
    return c > maxBufferSize && n <= maxBufferSize ? maxBufferSize : c;
  };
  return base.classIndex === undefined
    ? { name: base.name, bucketSize: cap }
    : { name: base.name, bucketSize: cap, classIndex: base.classIndex.bind(base) };
}

/** Throws `INVALID_ARGUMENT` unless `options` is undefined or an object. */
export function checkOptions(options: unknown): void {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `WebGpuBufferPool options must be an object, got ${describeValue(options)}`,
      {
        value: options,
      },
    );
  }
  const label = (options as WebGpuPoolOptions | undefined)?.label;
  if (label !== undefined && typeof label !== "string") {
    throw new MlxError("INVALID_ARGUMENT", `label must be a string, got ${describeValue(label)}`, {
      value: label,
    });
  }
}

/** Binding offsets the device accepts: both offset alignments, and at least 256. */
export function offsetAlignmentOf(device: GPUDevice): number {
  const limits = device.limits as Partial<GPUSupportedLimits> | undefined;
  return Math.max(
    256,
    limits?.minStorageBufferOffsetAlignment ?? 256,
    limits?.minUniformBufferOffsetAlignment ?? 256,
  );
}
