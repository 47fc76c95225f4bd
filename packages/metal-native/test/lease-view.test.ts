// NativeBuffer.leaseView: lease views of ranges of one buffer, each detached on its own by
// endLeaseView, all of them by destroy. On every backend available here.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  availableBackends,
  liveNativeBuffers,
  type NativeDevice,
  openDevice,
} from "../src/index.js";
import { expectNativeError } from "./helpers.js";

describe.each(availableBackends)("leaseView on %s", (backend) => {
  let device: NativeDevice;
  beforeEach(() => {
    device = openDevice(backend);
  });
  afterEach(() => device.destroy());

  it("is exactly the asked length over the buffer's memory, and endLeaseView(view) detaches it", () => {
    const buffer = device.allocBuffer(4096);
    const whole = new Uint8Array(buffer.contents());
    const lease = buffer.leaseView(100);
    expect(lease.byteLength).toBe(100);
    const view = new Uint8Array(lease);
    view[7] = 42;
    expect(whole[7]).toBe(42);
    buffer.endLeaseView(lease);
    expect(view.length).toBe(0);
    expect(lease.byteLength).toBe(0);
    expect(whole.length).toBe(4096);
    buffer.endLeaseView(lease); // already detached: a no-op
    buffer.destroy();
  });

  it("views of several ranges live at once; ending one leaves the others attached and writable", () => {
    const buffer = device.allocBuffer(4096);
    const whole = new Uint8Array(buffer.contents());
    const a = buffer.leaseView(256, 0);
    const b = buffer.leaseView(512, 1024);
    const c = buffer.leaseView(1, 4095);
    new Uint8Array(b).fill(0xb0);
    expect(whole[1024]).toBe(0xb0);
    expect(whole[1535]).toBe(0xb0);
    expect(whole[1536]).toBe(0);
    const aBytes = new Uint8Array(a);
    buffer.endLeaseView(a);
    expect(aBytes.length).toBe(0);
    expect(b.byteLength).toBe(512);
    new Uint8Array(b)[0] = 7;
    expect(whole[1024]).toBe(7);
    new Uint8Array(c)[0] = 9;
    expect(whole[4095]).toBe(9);
    buffer.endLeaseView(c);
    expect(c.byteLength).toBe(0);
    expect(b.byteLength).toBe(512);
    buffer.destroy();
    expect(b.byteLength).toBe(0);
  });

  it("views are independent: a new view of the same range leaves the earlier one attached", () => {
    const buffer = device.allocBuffer(256);
    const first = new Uint8Array(buffer.leaseView(16));
    const second = new Uint8Array(buffer.leaseView(32));
    expect(first.length).toBe(16);
    expect(second.length).toBe(32);
    first[0] = 5;
    expect(second[0]).toBe(5);
    buffer.destroy();
    expect(first.length).toBe(0);
    expect(second.length).toBe(0);
  });

  it("destroy detaches every view, also of hundreds of ranges, and contents()", () => {
    const buffer = device.allocBuffer(1 << 16);
    const contents = buffer.contents();
    const views = Array.from({ length: 256 }, (_, i) => buffer.leaseView(256, i * 256));
    for (const v of views.slice(0, 100)) buffer.endLeaseView(v);
    expect(views.filter((v) => v.byteLength === 256)).toHaveLength(156);
    buffer.destroy();
    expect(views.every((v) => v.byteLength === 0)).toBe(true);
    expect(contents.byteLength).toBe(0);
    // After destroy: a detached view and no argument are no-ops; an attached ArrayBuffer (never
    // this buffer's) is DISPOSED, naming the operation.
    buffer.endLeaseView(views[0]);
    buffer.endLeaseView();
    const other = device.allocBuffer(64);
    try {
      expect(() => buffer.endLeaseView(other.leaseView(8))).toThrow(
        expect.objectContaining({
          code: "DISPOSED",
          message: expect.stringContaining("endLeaseView"),
        }),
      );
    } finally {
      other.destroy();
    }
  });

  it("endLeaseView() detaches every lease view and leaves contents() attached", () => {
    const buffer = device.allocBuffer(1024);
    const contents = buffer.contents();
    const views = [buffer.leaseView(10), buffer.leaseView(10, 100), buffer.leaseView(24, 1000)];
    buffer.endLeaseView();
    expect(views.map((v) => v.byteLength)).toEqual([0, 0, 0]);
    expect(contents.byteLength).toBe(1024);
    expect(buffer.leaseView(8, 8).byteLength).toBe(8);
    buffer.destroy();
  });

  it("refuses bad lengths and offsets, naming the value, and a range past the buffer", () => {
    const live = liveNativeBuffers().count;
    const buffer = device.allocBuffer(64);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      const error = expectNativeError(() => buffer.leaseView(bad), "INVALID_ARGUMENT", {
        is: bad,
      });
      expect(error.message).toContain("leaseView: byteLength");
      expect(error.message).toContain(String(bad));
      const offsetError = expectNativeError(() => buffer.leaseView(8, bad), "INVALID_ARGUMENT", {
        is: bad,
      });
      expect(offsetError.message).toContain("leaseView: byteOffset");
    }
    expect(expectNativeError(() => buffer.leaseView(0), "INVALID_ARGUMENT").message).toMatch(
      /at least 1, got 0/,
    );
    for (const bad of ["8", null, 8n]) {
      expectNativeError(() => buffer.leaseView(bad as unknown as number), "INVALID_ARGUMENT", {
        is: bad,
      });
      expectNativeError(() => buffer.leaseView(8, bad as unknown as number), "INVALID_ARGUMENT", {
        is: bad,
      });
    }
    expect(expectNativeError(() => buffer.leaseView(65), "INVALID_ARGUMENT").message).toMatch(
      /\[0, 65\) is outside the buffer of 64 bytes/,
    );
    expect(
      expectNativeError(() => buffer.leaseView(8, 60), "INVALID_ARGUMENT", { is: 68 }).message,
    ).toMatch(/\[60, 68\) is outside the buffer of 64 bytes/);
    expectNativeError(() => buffer.leaseView(1, 64), "INVALID_ARGUMENT");
    expectNativeError(() => buffer.leaseView(1, 2 ** 52), "INVALID_ARGUMENT");
    buffer.destroy();
    expectNativeError(() => buffer.leaseView(8), "DISPOSED");
    expect(liveNativeBuffers().count).toBe(live);
  });

  it("endLeaseView refuses what is not an attached lease view of this buffer, detaching nothing", () => {
    const buffer = device.allocBuffer(256);
    const other = device.allocBuffer(256);
    const mine = buffer.leaseView(16, 16);
    const theirs = other.leaseView(16, 16);
    const contents = buffer.contents();
    const plain = new ArrayBuffer(16);
    for (const bad of [theirs, contents, plain]) {
      const error = expectNativeError(() => buffer.endLeaseView(bad), "INVALID_ARGUMENT", {
        is: bad,
      });
      expect(error.message).toMatch(/is not a lease view of this buffer/);
    }
    for (const bad of [new Uint8Array(mine), 5, null, "view"]) {
      const error = expectNativeError(
        () => buffer.endLeaseView(bad as unknown as ArrayBuffer),
        "INVALID_ARGUMENT",
        { is: bad },
      );
      expect(error.message).toMatch(/must be an ArrayBuffer/);
    }
    expect([mine.byteLength, theirs.byteLength, contents.byteLength]).toEqual([16, 16, 256]);
    other.endLeaseView(theirs);
    expect(theirs.byteLength).toBe(0);
    buffer.destroy();
    other.destroy();
  });
});
