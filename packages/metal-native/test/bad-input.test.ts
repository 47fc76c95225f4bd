import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type NativeDevice, openDevice } from "../src/index.js";
import { setAllocationFaultAfter } from "../src/test-hooks.js";
import { expectNativeError } from "./helpers.js";

describe("bad input at the boundary", () => {
  let device: NativeDevice;
  beforeEach(() => {
    device = openDevice("host");
  });
  afterEach(() => {
    setAllocationFaultAfter(null);
    device.destroy();
  });

  it.each([
    0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53,
    -0,
  ])("allocBuffer(%d) is INVALID_ARGUMENT naming the value", (length) => {
    const error = expectNativeError(() => device.allocBuffer(length), "INVALID_ARGUMENT", {
      is: length,
    });
    expect(error.message).toContain(Number.isNaN(length) ? "NaN" : String(length));
  });

  it.each(["4096", null, undefined, 10n, {}, [8], true])(
    "allocBuffer(%s) (not a number) is INVALID_ARGUMENT",
    (length) => {
      const error = expectNativeError(
        () => device.allocBuffer(length as unknown as number),
        "INVALID_ARGUMENT",
        { is: length },
      );
      expect(error.message).toMatch(/must be a number/);
    },
  );

  it("allocBuffer above maxBufferLength is INVALID_ARGUMENT naming both numbers", () => {
    const tooBig = device.maxBufferLength + 1;
    const error = expectNativeError(() => device.allocBuffer(tooBig), "INVALID_ARGUMENT", {
      is: tooBig,
    });
    expect(error.message).toContain(String(tooBig));
    expect(error.message).toContain(String(device.maxBufferLength));
  });

  it("a failing native allocation is BUFFER_ALLOCATION with bytes", () => {
    setAllocationFaultAfter(2);
    const first = device.allocBuffer(16);
    const second = device.allocBuffer(16);
    const error = expectNativeError(() => device.allocBuffer(12345), "BUFFER_ALLOCATION", {
      is: 12345,
    });
    expect(error.bytes).toBe(12345);
    expect(error.message).toContain("12345");
    // The fault fires once, then allocation works again.
    const third = device.allocBuffer(16);
    expect(third.destroyed).toBe(false);
    for (const buffer of [first, second, third]) buffer.destroy();
  });

  it("setAllocationFaultAfter(0) fails the very next allocation; null disarms", () => {
    setAllocationFaultAfter(0);
    expectNativeError(() => device.allocBuffer(1), "BUFFER_ALLOCATION");
    setAllocationFaultAfter(0);
    setAllocationFaultAfter(null);
    device.allocBuffer(1).destroy();
  });

  it("setAllocationFaultAfter rejects a bad count", () => {
    expectNativeError(() => setAllocationFaultAfter(-1), "INVALID_ARGUMENT", { is: -1 });
    expectNativeError(() => setAllocationFaultAfter(0.5), "INVALID_ARGUMENT", { is: 0.5 });
  });

  it.each([
    [-1, 1],
    [0, -1],
    [1.5, 1],
    [0, Number.NaN],
    [0, 17],
    [16, 1],
    [17, 0],
  ])("read(%d, %d) on 16 bytes is INVALID_ARGUMENT", (offset, length) => {
    const buffer = device.allocBuffer(16);
    expectNativeError(() => buffer.read(offset, length), "INVALID_ARGUMENT");
    buffer.destroy();
  });

  it("read with a non-number offset is INVALID_ARGUMENT", () => {
    const buffer = device.allocBuffer(16);
    expectNativeError(() => buffer.read("0" as unknown as number), "INVALID_ARGUMENT", {
      is: "0",
    });
    buffer.destroy();
  });

  it("write out of range or with a non-view is INVALID_ARGUMENT and writes nothing", () => {
    const buffer = device.allocBuffer(4);
    expectNativeError(() => buffer.write(2, new Uint8Array([1, 2, 3])), "INVALID_ARGUMENT");
    expectNativeError(() => buffer.write(-1, new Uint8Array([1])), "INVALID_ARGUMENT", { is: -1 });
    const notView = [1, 2];
    expectNativeError(() => buffer.write(0, notView as unknown as Uint8Array), "INVALID_ARGUMENT", {
      is: notView,
    });
    expect([...buffer.read()]).toEqual([0, 0, 0, 0]);
    buffer.destroy();
  });

  it("openDevice with an unknown backend is INVALID_ARGUMENT", () => {
    expectNativeError(() => openDevice("vulkan" as never), "INVALID_ARGUMENT", { is: "vulkan" });
    expectNativeError(() => openDevice(3 as never), "INVALID_ARGUMENT", { is: 3 });
  });

  it("newResidencySet with a bad label or capacity is INVALID_ARGUMENT", () => {
    expectNativeError(() => device.newResidencySet(5 as never), "INVALID_ARGUMENT", { is: 5 });
    expectNativeError(() => device.newResidencySet("s", -2), "INVALID_ARGUMENT", { is: -2 });
    expectNativeError(() => device.newResidencySet("s", 2.5), "INVALID_ARGUMENT", { is: 2.5 });
  });

  it("a destroyed device refuses allocBuffer and newResidencySet with DISPOSED", () => {
    const other = openDevice("host");
    other.destroy();
    expect(other.destroyed).toBe(true);
    expectNativeError(() => other.allocBuffer(8), "DISPOSED", { is: other });
    expectNativeError(() => other.newResidencySet(), "DISPOSED", { is: other });
    expect(() => other.destroy()).not.toThrow();
    expect(other.name).toMatch(/^host/);
  });
});
