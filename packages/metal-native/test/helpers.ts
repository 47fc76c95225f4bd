import { expect } from "vitest";
import type { NativeError, NativeErrorCode } from "../src/index.js";

/** Runs `action`, expecting a native error with this code (and value, when given). */
export function expectNativeError(
  action: () => unknown,
  code: NativeErrorCode,
  value?: { is: unknown },
): NativeError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${code} error`).toBeInstanceOf(Error);
  const error = caught as NativeError;
  expect(error.code).toBe(code);
  if (value !== undefined) expect(Object.is(error.value, value.is)).toBe(true);
  return error;
}
