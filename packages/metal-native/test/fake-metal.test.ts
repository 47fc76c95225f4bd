// The Metal backend's own rules, checked against the fake Metal runtime (test/fake-metal):
// runs only with the MLX_METAL_FAKE build loaded (scripts/metal-fake/run.sh), skips otherwise.
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { nativeBufferHandles, openDevice } from "../src/index.js";
import {
  fakeMetal,
  fakeMetalProblems,
  fakeMetalSkipReason,
  hazardTrackingOf,
} from "./fake-metal/report.js";
import { expectNativeError } from "./helpers.js";

if (fakeMetalSkipReason !== null)
  console.info(`fake-metal.test.ts skipped: ${fakeMetalSkipReason}`);

function fake() {
  if (fakeMetal === null) throw new Error("unreachable: the suite is skipped");
  return fakeMetal;
}

describe.skipIf(fakeMetalSkipReason !== null)(
  "metal backend against the fake Metal runtime",
  () => {
    afterEach(() => {
      fake().fakeMetalSetKnobs({
        failBuffersAbove: null,
        failResidencySet: false,
        failCommandBuffer: false,
        supportsMetal3: true,
      });
      expect(fakeMetalProblems(fake())).toEqual([]);
    });

    it("enumerates devices once with MTLCopyAllDevices, never MTLCreateSystemDefaultDevice", () => {
      for (let i = 0; i < 3; i++) openDevice("metal").destroy();
      const report = fake().fakeMetalReport();
      expect(report.createSystemDefaultDeviceCalls).toBe(0);
      expect(report.copyAllDevicesCalls).toBe(1);
    });

    it("destroying a committed member commits the removal, and commitCount counts it", () => {
      const device = openDevice("metal");
      const set = device.newResidencySet("members", 4);
      const buffer = device.allocBuffer(4096);
      set.add(buffer);
      set.commit();
      const before = fake().fakeMetalReport().residencyCommits;
      buffer.destroy();
      expect(fake().fakeMetalReport().residencyCommits - before).toBe(1);
      expect(set.commitCount).toBe(2);
      expect(set.allocationCount).toBe(0);
      set.destroy();
      device.destroy();
    });

    it("the 33rd residency set on one device is a RESIDENCY error, and changes nothing", () => {
      const device = openDevice("metal");
      const sets = Array.from({ length: 32 }, (_, i) => device.newResidencySet(`s${i}`, 1));
      expectNativeError(() => device.newResidencySet("s32", 1), "RESIDENCY");
      sets.pop()?.destroy();
      sets.push(device.newResidencySet("again", 1));
      for (const set of sets) set.destroy();
      device.destroy();
    });

    it("residency needs a Metal 3 GPU; the reason says so", () => {
      fake().fakeMetalSetKnobs({ supportsMetal3: false });
      const device = openDevice("metal");
      expect(device.residencySupported).toBe(false);
      expect(device.residencyUnsupportedReason).toMatch(/MTLGPUFamilyMetal3/);
      expectNativeError(() => device.newResidencySet("x", 1), "RESIDENCY");
      device.destroy();
    });

    it("failed Metal calls throw and leave no autorelease pool pushed", () => {
      const device = openDevice("metal");
      fake().fakeMetalSetKnobs({ failBuffersAbove: 1 << 20 });
      expectNativeError(() => device.allocBuffer(2 << 20), "BUFFER_ALLOCATION");
      fake().fakeMetalSetKnobs({ failBuffersAbove: null, failResidencySet: true });
      expectNativeError(() => device.newResidencySet("refused", 1), "RESIDENCY");
      expect(fake().fakeMetalReport().poolDepth).toBe(0);
      device.destroy();
    });

    it("a failed command buffer rejects the fence with the MTLCommandBufferError name", async () => {
      const device = openDevice("metal");
      fake().fakeMetalSetKnobs({ failCommandBuffer: true });
      await expect(device.fence()).rejects.toMatchObject({
        value: "MTLCommandBufferErrorPageFault",
      });
      fake().fakeMetalSetKnobs({ failCommandBuffer: false });
      await expect(device.fence()).resolves.toBeUndefined();
      device.destroy();
    });

    const workload = (leave: string) => `
    const addon = require(process.env.MLX_NATIVE_ADDON);
    const device = addon.openDevice("metal");
    const set = device.newResidencySet("exit", 4);
    const buffers = [device.allocBuffer(4096), device.allocBuffer(1 << 20)];
    for (const b of buffers) set.add(b);
    set.commit();
    set.requestResidency();
    device.fence().then(() => {
      buffers[0].destroy();
      ${leave}
    });`;

    function runChild(source: string) {
      return spawnSync(process.execPath, ["-e", source], {
        encoding: "utf8",
        env: { ...process.env, MLX_FAKE_METAL_EXIT_CHECK: "1" },
      });
    }

    it("hazardTracking reaches newBufferWithLength:options: (shared storage either way)", () => {
      const device = openDevice("metal");
      const optionsOf = (buffer: ReturnType<typeof device.allocBuffer>) =>
        fake().fakeMetalBufferOptions(nativeBufferHandles(buffer).nativeHandle);
      const plain = device.allocBuffer(4096);
      const tracked = device.allocBuffer(4096, { hazardTracking: "tracked" });
      const untracked = device.allocBuffer(4096, { hazardTracking: "untracked" });
      expect(hazardTrackingOf(optionsOf(plain))).toBe("default");
      expect(hazardTrackingOf(optionsOf(tracked))).toBe("default");
      expect(hazardTrackingOf(optionsOf(untracked))).toBe("untracked");
      // MTLResourceStorageModeShared is 0: nothing but the hazard bit is set.
      expect(optionsOf(untracked)).toBe(1 << 8);
      expect(optionsOf(plain)).toBe(0);
      expect(new Uint8Array(untracked.contents()).every((b) => b === 0)).toBe(true);
      const handle = nativeBufferHandles(untracked).nativeHandle;
      for (const b of [plain, tracked, untracked]) b.destroy();
      expect(fake().fakeMetalBufferOptions(handle)).toBe(-1); // gone: no longer a live MTLBuffer
      device.destroy();
    });

    it("a process that destroys everything exits with nothing leaked", () => {
      const child = runChild(workload("buffers[1].destroy(); set.destroy(); device.destroy();"));
      expect(child.stderr).not.toContain("[fake-metal]");
      expect(child.status).toBe(0);
    });

    it("objects JavaScript still holds at exit are finalized, so they are no leak", () => {
      const child = runChild(workload("globalThis.kept = { buffers, set, device };"));
      expect(child.stderr).not.toContain("[fake-metal]");
      expect(child.status).toBe(0);
    });

    it("the exit check fails a process that leaked a Metal object", () => {
      const child = runChild(workload("addon.fakeMetalLeakForTest();"));
      expect(child.stderr).toContain("[fake-metal] at exit: 1 object(s) leaked");
      expect(child.stderr).toContain("leaked: MTLResidencySetDescriptor x1");
      expect(child.status).toBe(86);
    });
  },
);
