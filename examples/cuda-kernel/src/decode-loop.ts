// A decode-like loop on pooled buffers: each token allocates its buffers from the pool, a slow
// SAXPY kernel writes one of them on the user's own stream, and the pool is reset at once with
// `after: device.fence(stream)`: the host races ahead while the GPU still works. Whenever the
// pool hands a buffer out again, its bytes must already hold the finished result of the token
// that used it before: proof that a fenced reset never recycles memory the stream still uses.
import { DType, MlxBufferPool, type MlxDevice } from "@mlx/pool";
import type { CudaKernelAddon } from "./load-addon.js";

export interface DecodeLoopOptions {
  tokens: number;
  /** Floats per buffer. */
  n: number;
  a: number;
  /** GPU time every kernel spends before writing, in microseconds. */
  spinMicros: number;
  /** Wait for the stream every this many tokens (so that buffers come back and get reused). */
  syncEvery: number;
}

export interface DecodeLoopResult {
  /** Elements checked on the CPU (every token's output, when its buffer next came back or at the end). */
  checked: number;
  mismatches: number;
  /** Buffers handed out again before the kernel that wrote them had finished: must be 0. */
  reusedEarly: number;
  /** Buffers the pool handed out that an earlier token had used. */
  reused: number;
  /** Tokens whose kernel was still running when the pool was reset. */
  resetWhileBusy: number;
}

interface Written {
  token: number;
  done: boolean;
}

const expected = (a: number, token: number, i: number) =>
  Math.fround(Math.fround(a) * Math.fround(i + token) + (2 * token - i));

export async function runDecodeLoop(
  device: MlxDevice,
  kernels: CudaKernelAddon,
  stream: bigint,
  options: DecodeLoopOptions,
): Promise<DecodeLoopResult> {
  const { tokens, n, a, spinMicros, syncEvery } = options;
  const ordinal = device.nativeHandles.device;
  const pool = new MlxBufferPool({ poison: false });
  const result: DecodeLoopResult = {
    checked: 0,
    mismatches: 0,
    reusedEarly: 0,
    reused: 0,
    resetWhileBusy: 0,
  };
  // By address: the last token whose kernel wrote that memory, and whether its fence settled.
  const lastWrite = new Map<bigint, Written>();
  const verify = (ys: Float32Array, token: number) => {
    for (let i = 0; i < n; i++) {
      result.checked++;
      if (ys[i] !== expected(a, token, i)) result.mismatches++;
    }
  };
  device.attachResidency(stream);
  try {
    for (let token = 0; token < tokens; token++) {
      const x = pool.alloc(device, n * 4, DType.F32, [n]);
      const y = pool.alloc(device, n * 4, DType.F32, [n]);
      for (const buffer of [x, y]) {
        const previous = lastWrite.get(buffer.address);
        if (previous === undefined) continue;
        result.reused++;
        if (!previous.done) result.reusedEarly++;
        // A token's output: its bytes must be the finished result, not yet overwritten.
        if (previous.token >= 0) verify(buffer.typed() as Float32Array, previous.token);
        lastWrite.delete(buffer.address);
      }
      const xs = x.typed() as Float32Array;
      const ys = y.typed() as Float32Array;
      for (let i = 0; i < n; i++) {
        xs[i] = i + token;
        ys[i] = 2 * token - i;
      }
      kernels.saxpy(
        ordinal,
        stream,
        x.nativeHandle,
        x.byteOffset,
        y.nativeHandle,
        y.byteOffset,
        a,
        n,
        spinMicros,
      );
      const fence = device.fence(stream);
      const written: Written = { token, done: false };
      const read: Written = { token: -1, done: false }; // x is only read: nothing to verify later
      lastWrite.set(y.address, written);
      lastWrite.set(x.address, read);
      void fence.then(() => {
        written.done = true;
        read.done = true;
      });
      if (kernels.streamBusy(ordinal, stream)) result.resetWhileBusy++;
      pool.reset({ after: fence });
      if ((token + 1) % syncEvery === 0) await fence;
    }
    await device.fence(stream);
    // The outputs never handed out again: every free buffer is leased once more and read.
    const leases = Array.from({ length: pool.freeCount() }, () =>
      pool.alloc(device, n * 4, DType.F32, [n]),
    );
    for (const lease of leases) {
      const previous = lastWrite.get(lease.address);
      if (previous !== undefined && previous.token >= 0) {
        verify(lease.typed() as Float32Array, previous.token);
      }
    }
  } finally {
    device.detachResidency(stream);
    pool.dispose();
  }
  return result;
}
