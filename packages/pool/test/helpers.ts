import { afterEach, expect } from "vitest";
import { MlxDevice, MlxError } from "../src/index.js";

/** The backend under test: `MLX_BACKEND` (e.g. cuda on a GPU machine), else the default. */
export function openDevice(options: { residency?: boolean } = {}): MlxDevice {
  return MlxDevice.open(options);
}

/** Runs `fn`, expecting an MlxError with `code`; returns it. */
export function expectMlxError(fn: () => unknown, code: string): MlxError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(MlxError);
  expect((thrown as MlxError).code).toBe(code);
  return thrown as MlxError;
}

/**
 * A device opener for one test file: every device it opens is disposed after each test.
 * Options as {@link openDevice}.
 */
export function devicesDisposedAfterEach(): (options?: { residency?: boolean }) => MlxDevice {
  const opened: MlxDevice[] = [];
  afterEach(() => {
    for (const d of opened.splice(0)) d.dispose();
  });
  return (options = {}) => {
    const d = openDevice(options);
    opened.push(d);
    return d;
  };
}

/** A promise settled from outside, as a GPU completion would be. */
export function manualFence() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Waits until promise callbacks queued so far (a fence's settling) have run. */
export const settle = () => new Promise<void>((r) => setTimeout(r, 0));
