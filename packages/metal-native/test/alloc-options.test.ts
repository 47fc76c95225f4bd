// allocBuffer's options: hazardTracking ("tracked" | "untracked") on every backend available
// here. Only Metal acts on it (fake-metal.test.ts checks the resource options Metal is given);
// the others accept it, and every backend refuses a bad option before allocating.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  availableBackends,
  liveNativeBuffers,
  type NativeAllocOptions,
  type NativeDevice,
  openDevice,
} from "../src/index.js";
import { expectNativeError } from "./helpers.js";

describe.each(availableBackends)("allocBuffer options on %s", (backend) => {
  let device: NativeDevice;
  beforeEach(() => {
    device = openDevice(backend);
  });
  afterEach(() => device.destroy());

  it.each([
    undefined,
    {},
    { hazardTracking: undefined },
    { hazardTracking: "tracked" as const },
    {
      hazardTracking: "untracked" as const,
    },
  ])("accepts %o: a zero-filled buffer of exactly the length", (options) => {
    const buffer = device.allocBuffer(4096, options as NativeAllocOptions | undefined);
    expect(buffer.byteLength).toBe(4096);
    const bytes = new Uint8Array(buffer.contents());
    expect(bytes.every((b) => b === 0)).toBe(true);
    bytes[4095] = 3;
    expect(buffer.read(4095, 1)[0]).toBe(3);
    buffer.destroy();
  });

  it.each([
    ["a string", "untracked"],
    ["null", null],
    ["a number", 1],
    ["an array", ["untracked"]],
    ["a function", () => "untracked"],
  ])("options that are %s are INVALID_ARGUMENT naming them, and allocate nothing", (_, options) => {
    const live = liveNativeBuffers();
    const error = expectNativeError(
      () => device.allocBuffer(64, options as unknown as NativeAllocOptions),
      "INVALID_ARGUMENT",
      { is: options },
    );
    expect(error.message).toMatch(/options must be an object/);
    expect(liveNativeBuffers()).toEqual(live);
  });

  it.each(["Untracked", "none", "", true, 1, null])(
    "hazardTracking %o is INVALID_ARGUMENT naming it, and allocates nothing",
    (mode) => {
      const live = liveNativeBuffers();
      const error = expectNativeError(
        () => device.allocBuffer(64, { hazardTracking: mode } as unknown as NativeAllocOptions),
        "INVALID_ARGUMENT",
        { is: mode },
      );
      expect(error.message).toMatch(/hazardTracking must be "tracked" or "untracked", got/);
      if (typeof mode === "string") expect(error.message).toContain(`"${mode}"`);
      expect(liveNativeBuffers()).toEqual(live);
    },
  );

  it("an unknown option is INVALID_ARGUMENT naming it", () => {
    const live = liveNativeBuffers();
    const error = expectNativeError(
      () => device.allocBuffer(64, { untracked: true } as unknown as NativeAllocOptions),
      "INVALID_ARGUMENT",
      { is: "untracked" },
    );
    expect(error.message).toMatch(/unknown option "untracked"; known: hazardTracking/);
    expect(liveNativeBuffers()).toEqual(live);
  });

  it("a bad length is refused with valid options too", () => {
    expectNativeError(
      () => device.allocBuffer(0, { hazardTracking: "untracked" }),
      "INVALID_ARGUMENT",
      {
        is: 0,
      },
    );
  });
});
