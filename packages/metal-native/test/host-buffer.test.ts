import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type NativeDevice, openDevice } from "../src/index.js";
import { expectNativeError } from "./helpers.js";

const PAGE_SIZE = 4096n;

describe("host device", () => {
  let device: NativeDevice;
  beforeEach(() => {
    device = openDevice("host");
  });
  afterEach(() => device.destroy());

  it("reports its facts", () => {
    expect(device.backend).toBe("host");
    expect(device.name).toMatch(/^host/);
    expect(Number.isSafeInteger(device.maxBufferLength)).toBe(true);
    expect(device.maxBufferLength).toBeGreaterThan(0);
    expect(device.maxBufferLength).toBeLessThanOrEqual(2 ** 40);
    expect(device.hasUnifiedMemory).toBe(true);
    expect(device.recommendedMaxWorkingSetSize).toBeGreaterThan(0);
    expect(device.residencySupported).toBe(true);
    expect(device.residencyUnsupportedReason).toBeNull();
    expect(device.destroyed).toBe(false);
  });

  it("gives every opened device a unique id", () => {
    const other = openDevice("host");
    expect(other.id).not.toBe(device.id);
    other.destroy();
  });

  it.each([1, 100, 4096, 4097, 256 * 1024, 3 * 1024 * 1024 + 5])(
    "allocates %i zero-filled, page-aligned bytes",
    (byteLength) => {
      const buffer = device.allocBuffer(byteLength);
      expect(buffer.byteLength).toBe(byteLength);
      expect(buffer.deviceId).toBe(device.id);
      expect(buffer.address % PAGE_SIZE).toBe(0n);
      const bytes = new Uint8Array(buffer.contents());
      expect(bytes.length).toBe(byteLength);
      expect(bytes.every((b) => b === 0)).toBe(true);
      buffer.destroy();
    },
  );

  it("returns the same ArrayBuffer from every contents() call", () => {
    const buffer = device.allocBuffer(64);
    expect(buffer.contents()).toBe(buffer.contents());
    buffer.destroy();
  });

  it("shares memory between contents() and read()/write() (zero-copy)", () => {
    const buffer = device.allocBuffer(16);
    const view = new Uint8Array(buffer.contents());
    view.set([1, 2, 3], 4);
    expect([...buffer.read(3, 5)]).toEqual([0, 1, 2, 3, 0]);
    buffer.write(10, new Uint8Array([42, 43]));
    expect(view[10]).toBe(42);
    expect(view[11]).toBe(43);
    buffer.destroy();
  });

  it("reads the whole buffer by default and accepts any ArrayBufferView", () => {
    const buffer = device.allocBuffer(8);
    buffer.write(0, new Uint32Array([0x04030201]));
    buffer.write(4, new DataView(new Uint8Array([9, 8]).buffer));
    expect([...buffer.read()]).toEqual([1, 2, 3, 4, 9, 8, 0, 0]);
    expect([...buffer.read(6)]).toEqual([0, 0]);
    expect(buffer.read(8, 0).length).toBe(0);
    buffer.destroy();
  });

  it("returns copies from read(), not views", () => {
    const buffer = device.allocBuffer(4);
    const copy = buffer.read(0, 4);
    copy[0] = 99;
    expect(buffer.read(0, 1)[0]).toBe(0);
    buffer.destroy();
  });

  it("detaches contents() on destroy so old views see nothing", () => {
    const buffer = device.allocBuffer(4096);
    const arrayBuffer = buffer.contents();
    const view = new Uint8Array(arrayBuffer);
    const floats = new Float32Array(arrayBuffer, 16, 4);
    buffer.destroy();
    expect(buffer.destroyed).toBe(true);
    expect(arrayBuffer.byteLength).toBe(0);
    expect(view.byteLength).toBe(0);
    expect(floats.length).toBe(0);
    expect(view[0]).toBeUndefined();
  });

  it("keeps address and byteLength readable after destroy", () => {
    const buffer = device.allocBuffer(100);
    const address = buffer.address;
    buffer.destroy();
    expect(buffer.address).toBe(address);
    expect(buffer.byteLength).toBe(100);
  });

  it("treats a second destroy as harmless", () => {
    const buffer = device.allocBuffer(10);
    buffer.contents();
    buffer.destroy();
    expect(() => buffer.destroy()).not.toThrow();
    expect(buffer.destroyed).toBe(true);
  });

  it("refuses every use of a destroyed buffer with DISPOSED", () => {
    const buffer = device.allocBuffer(10);
    buffer.destroy();
    for (const use of [
      () => buffer.contents(),
      () => buffer.read(0, 1),
      () => buffer.write(0, new Uint8Array(1)),
    ]) {
      const error = expectNativeError(use, "DISPOSED", { is: buffer });
      expect(error.message).toMatch(/destroyed/);
    }
  });

  it("destroys a buffer whose contents() was never taken", () => {
    const buffer = device.allocBuffer(1 << 20);
    buffer.destroy();
    expect(buffer.destroyed).toBe(true);
  });

  it("does not let `new` create native objects from JavaScript", () => {
    const buffer = device.allocBuffer(1);
    const Ctor = buffer.constructor as new () => unknown;
    expect(() => new Ctor()).toThrow(TypeError);
    buffer.destroy();
  });
});
