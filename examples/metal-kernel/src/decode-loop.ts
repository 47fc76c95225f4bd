// A decode-like loop on pooled buffers: every token allocates its buffers from the pool, the
// GPU runs SAXPY on them on the user's own queue, the CPU checks the result, and the pool is
// reset behind a fence on that queue, so no buffer is reused before the GPU is done with it.
import { DType, MlxBufferPool, type MlxDevice } from "@mlx/pool";
import type { SaxpyKernel } from "./load-addon.js";

export interface DecodeLoopOptions {
  tokens: number;
  /** Floats per buffer. */
  n: number;
  /** The SAXPY scale. */
  a: number;
}

export interface DecodeLoopResult {
  tokens: number;
  /** Elements checked on the CPU, over all tokens. */
  checked: number;
  /** Elements that differed from the CPU's a * x + y. */
  mismatches: number;
  /** Per token: the handles and offsets handed to the kernel ([x, xOffset, y, yOffset]). */
  bound: Array<[bigint, number, bigint, number]>;
  /** Fresh native allocations the pool made (the rest were hits). */
  freshAllocations: number;
}

export async function runDecodeLoop(
  device: MlxDevice,
  kernel: SaxpyKernel,
  { tokens, n, a }: DecodeLoopOptions,
): Promise<DecodeLoopResult> {
  const pool = new MlxBufferPool();
  const result: DecodeLoopResult = {
    tokens,
    checked: 0,
    mismatches: 0,
    bound: [],
    freshAllocations: 0,
  };
  // The residency set reaches the kernels of the user's queue, not only the device's own.
  device.attachResidency(kernel.queue);
  try {
    for (let token = 0; token < tokens; token++) {
      const x = pool.alloc(device, n * 4, DType.F32, [n]);
      const y = pool.alloc(device, n * 4, DType.F32, [n]);
      const xs = x.typed() as Float32Array;
      const ys = y.typed() as Float32Array;
      for (let i = 0; i < n; i++) {
        xs[i] = i + token;
        ys[i] = 2 * token - i;
      }
      result.bound.push([x.nativeHandle, x.byteOffset, y.nativeHandle, y.byteOffset]);
      kernel.encode(x.nativeHandle, x.byteOffset, y.nativeHandle, y.byteOffset, a, n);
      const done = device.fence(kernel.queue);
      await done;
      for (let i = 0; i < n; i++) {
        result.checked++;
        if (ys[i] !== Math.fround(Math.fround(a) * Math.fround(i + token) + (2 * token - i))) {
          result.mismatches++;
        }
      }
      pool.reset({ after: done });
    }
    result.freshAllocations = pool.stats().misses;
  } finally {
    device.detachResidency(kernel.queue);
    pool.dispose();
  }
  return result;
}
