import { backendStatus } from "@mlx/metal-native";
import { describe, expect, it } from "vitest";
import {
  DType,
  MlxBufferPool,
  MlxDevice,
  type ResidencyEvent,
  resetResidencyEnvCache,
} from "../src/index.js";
import { expectMlxError, openDevice } from "./helpers.js";

describe("MlxDevice", () => {
  it("opens the default backend: Metal on macOS, host elsewhere (or MLX_BACKEND)", () => {
    const dev = MlxDevice.open();
    const metal = backendStatus().find((b) => b.name === "metal");
    const expected = process.env.MLX_BACKEND || (metal?.available ? "metal" : "host");
    expect(dev.backend).toBe(expected);
    expect(dev.name.length).toBeGreaterThan(0);
    expect(dev.maxBufferLength).toBeGreaterThan(0);
    dev.dispose();
  });

  it("forcing a backend that is absent is UNSUPPORTED_BACKEND with the reason", () => {
    for (const status of backendStatus().filter((b) => !b.available)) {
      const error = expectMlxError(
        () => MlxDevice.open({ backend: status.name }),
        "UNSUPPORTED_BACKEND",
      );
      expect(error.message).toContain(status.name);
    }
    expectMlxError(() => MlxDevice.open({ backend: "vulkan" as never }), "INVALID_ARGUMENT");
  });

  it("allocBuffer gives exact-size, zero-filled buffers registered with the set", () => {
    const dev = openDevice();
    const before = dev.residencyStats();
    const b = dev.allocBuffer(1000, DType.F32, [250]);
    expect(b.byteLength).toBe(1000);
    expect(b.capacity).toBe(1000);
    expect(b.bytes().every((x) => x === 0)).toBe(true);
    if (dev.residencySetsEnabled) {
      expect(dev.residencyStats()).toMatchObject({
        allocationCount: before.allocationCount + 1,
        commitCount: before.commitCount + 1,
      });
    }
    b.dispose();
    expect(b.stale).toBe(true);
    expectMlxError(() => b.dispose(), "STALE_BUFFER");
    if (dev.residencySetsEnabled)
      expect(dev.residencyStats().allocationCount).toBe(before.allocationCount);
    dev.dispose();
  });

  it("{ residency: false } and MLX_NO_RESIDENCY=1 open without a residency set", () => {
    const off = openDevice({ residency: false });
    expect(off.residencySetsEnabled).toBe(false);
    expect(off.residencyDisabledReason).toMatch(/residency: false/);
    off.dispose();
    for (const variable of ["MLX_NO_RESIDENCY", "HF2Q_NO_RESIDENCY"]) {
      process.env[variable] = "1";
      resetResidencyEnvCache();
      try {
        const dev = openDevice();
        expect(dev.residencySetsEnabled).toBe(false);
        // The reason names the variable actually set, and only it.
        expect(dev.residencyDisabledReason).toBe(`turned off by ${variable}`);
        dev.dispose();
      } finally {
        delete process.env[variable];
        resetResidencyEnvCache();
      }
    }
  });

  it("rejects lengths above the device maximum and bad arguments, changing nothing", () => {
    const dev = openDevice();
    const before = dev.residencyStats();
    const error = expectMlxError(
      () => dev.allocBuffer(dev.maxBufferLength + 1, DType.U8, [1]),
      "INVALID_ARGUMENT",
    );
    expect(error.message).toContain(String(dev.maxBufferLength + 1));
    expectMlxError(() => dev.allocBuffer(8, "f32" as never, [2]), "INVALID_ARGUMENT");
    expectMlxError(() => dev.allocBuffer(8, DType.F32, [-1]), "INVALID_ARGUMENT");
    expectMlxError(() => dev.allocBuffer(8, DType.F32, [0.5]), "INVALID_ARGUMENT");
    expect(dev.residencyStats()).toEqual(before);
    dev.dispose();
  });

  it("dispose frees direct buffers and refuses further use", () => {
    const dev = openDevice();
    const b = dev.allocBuffer(64, DType.U8, [64]);
    const view = b.bytes();
    dev.dispose();
    dev.dispose();
    expect(b.stale).toBe(true);
    expect(view.byteLength).toBe(0);
    expectMlxError(() => dev.allocBuffer(8, DType.U8, [8]), "DISPOSED");
    expect(dev.residencyStats().enabled).toBe(false);
  });

  it("supports `using`-style disposal", () => {
    const dev = openDevice();
    const b = dev.allocBuffer(8, DType.U8, [8]);
    b[Symbol.dispose]();
    expect(b.stale).toBe(true);
    dev[Symbol.dispose]();
    expect(dev.disposed).toBe(true);
  });
});

describe("DType", () => {
  it("has sizes and names, and String(d) is its name", () => {
    expect(DType.all.map((d) => [d.name, d.size])).toEqual([
      ["f32", 4],
      ["f16", 2],
      ["bf16", 2],
      ["u8", 1],
      ["u16", 2],
      ["u32", 4],
      ["i32", 4],
    ]);
    expect(String(DType.BF16)).toBe("bf16");
    expect(DType.byName("i32")).toBe(DType.I32);
    expectMlxError(() => DType.byName("f64"), "INVALID_ARGUMENT");
  });
});

describe("residency events", () => {
  it("onResidencyEvent receives the registration facts MLX_PROFILE_RESIDENCY prints", () => {
    const events: ResidencyEvent[] = [];
    const dev = MlxDevice.open({ onResidencyEvent: (e) => events.push(e) });
    if (!dev.residencySetsEnabled) {
      console.log(`residency events skipped: ${dev.residencyDisabledReason}`);
      dev.dispose();
      return;
    }
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 64, DType.U8, [64]);
    const registrations = events.filter((e) => e.kind === "register");
    expect(registrations).toHaveLength(1);
    expect(registrations[0]).toMatchObject({ count: 1, key: a.address, duplicate: false });
    expect(events.some((e) => e.kind === "commit")).toBe(true);
    pool.dispose();
    dev.dispose();
  });

  it("a hook that is not a function is INVALID_ARGUMENT", () => {
    expectMlxError(() => MlxDevice.open({ onResidencyEvent: 5 as never }), "INVALID_ARGUMENT");
  });
});
