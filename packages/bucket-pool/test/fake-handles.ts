import { expect } from "vitest";
import { BucketPool, type BucketPoolOptions, MlxError } from "../src/index.js";

export interface FakeHandle {
  readonly id: number;
  readonly capacity: number;
  destroyed: boolean;
  recycled: number;
}

/** A pool over plain objects that records every allocation and destruction. */
export function fakePool(options: Partial<BucketPoolOptions<FakeHandle>> = {}) {
  const allocated: FakeHandle[] = [];
  const destroyed: FakeHandle[] = [];
  let nextId = 1;
  let failNext = false;
  const pool = new BucketPool<FakeHandle>({
    allocate(capacity) {
      if (failNext) {
        failNext = false;
        throw new Error("injected allocation failure");
      }
      const handle = { id: nextId++, capacity, destroyed: false, recycled: 0 };
      allocated.push(handle);
      return handle;
    },
    destroy(handle) {
      if (handle.destroyed) throw new Error(`double destroy of ${handle.id}`);
      handle.destroyed = true;
      destroyed.push(handle);
    },
    onRecycle(handle) {
      handle.recycled++;
    },
    ...options,
  });
  return {
    pool,
    allocated,
    destroyed,
    failNextAllocation() {
      failNext = true;
    },
  };
}

/** Resolves a promise from outside, as a GPU completion would. */
export function manualFence() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const flushMicrotasks = () => new Promise<void>((r) => setTimeout(r, 0));

/** Runs `fn`, expecting an MlxError; returns its code (undefined when nothing was thrown). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MlxError);
    return (e as MlxError).code;
  }
  return undefined;
}
