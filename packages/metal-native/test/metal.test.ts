import { describe, expect, it } from "vitest";
import { backendStatus, openDevice } from "../src/index.js";

const metal = backendStatus().find((entry) => entry.name === "metal");
const skipReason = metal?.available ? null : `Metal unavailable: ${metal?.reason}`;
if (skipReason !== null) console.info(`metal.test.ts skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)(`metal backend${skipReason ? ` (${skipReason})` : ""}`, () => {
  it("opens the system default device", () => {
    const device = openDevice("metal");
    expect(device.backend).toBe("metal");
    expect(device.name.length).toBeGreaterThan(0);
    expect(device.maxBufferLength).toBeGreaterThan(0);
    if (!device.residencySupported)
      expect(device.residencyUnsupportedReason).toMatch(/macOS|MTLGPUFamilyMetal3/);
    device.destroy();
  });

  it("allocates zero-filled shared buffers readable through contents()", () => {
    const device = openDevice("metal");
    const buffer = device.allocBuffer(1 << 20);
    const bytes = new Uint8Array(buffer.contents());
    expect(bytes.every((b) => b === 0)).toBe(true);
    bytes[5] = 1;
    expect(buffer.read(5, 1)[0]).toBe(1);
    buffer.destroy();
    expect(bytes.byteLength).toBe(0);
    device.destroy();
  });

  it("tracks residency-set membership and commits (macOS 15+)", () => {
    const device = openDevice("metal");
    if (!device.residencySupported) {
      expect(() => device.newResidencySet()).toThrow(/macOS/);
      device.destroy();
      return;
    }
    const set = device.newResidencySet("metal-test", 8);
    const buffer = device.allocBuffer(4096);
    set.add(buffer);
    set.commit();
    set.requestResidency();
    expect(set.allocationCount).toBe(1);
    expect(set.commitCount).toBe(1);
    buffer.destroy();
    expect(set.allocationCount).toBe(0);
    set.destroy();
    device.destroy();
  });
});
