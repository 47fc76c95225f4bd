import { describe, expect, it } from "vitest";
import {
  availableBackends,
  backendStatus,
  defaultBackend,
  isNativeError,
  NativeAddonLoadError,
  nativeAddonLoadError,
  openDevice,
} from "../src/index.js";
import { loadNativeAddon } from "../src/native-addon.js";
import { setExternalArrayBuffersRefused } from "../src/test-hooks.js";
import { expectNativeError } from "./helpers.js";

const status = Object.fromEntries(backendStatus().map((entry) => [entry.name, entry]));

describe("backend selection", () => {
  it("loads the addon", () => {
    expect(nativeAddonLoadError).toBeNull();
  });

  it("lists every backend with built, available and a reason when unavailable", () => {
    expect(backendStatus().map((entry) => entry.name)).toEqual(["metal", "host", "cuda"]);
    expect(status.host).toEqual({ name: "host", built: true, available: true, reason: null });
    for (const entry of backendStatus()) {
      if (entry.available) expect(entry.reason).toBeNull();
      else expect(entry.reason).toMatch(/\S/);
      if (entry.available) expect(entry.built).toBe(true);
    }
  });

  it("availableBackends lists exactly the available ones, frozen", () => {
    expect(availableBackends).toEqual(
      backendStatus()
        .filter((entry) => entry.available)
        .map((entry) => entry.name),
    );
    expect(availableBackends).toContain("host");
    expect(Object.isFrozen(availableBackends)).toBe(true);
  });

  it("opens metal by default where it is available, else host", () => {
    const expected = status.metal?.available ? "metal" : "host";
    expect(defaultBackend()).toBe(expected);
    const device = openDevice();
    expect(device.backend).toBe(expected);
    device.destroy();
  });

  it.skipIf(status.metal?.built)("metal, not built here, is UNSUPPORTED_BACKEND", () => {
    expect(status.metal?.reason).toMatch(/macOS/);
    const error = expectNativeError(() => openDevice("metal"), "UNSUPPORTED_BACKEND", {
      is: "metal",
    });
    expect(error.message).toContain("metal");
  });

  it.skipIf(status.cuda?.available)(
    `cuda without a usable GPU is refused with the reason (${status.cuda?.reason})`,
    () => {
      expect(availableBackends).not.toContain("cuda");
      let error: unknown;
      try {
        openDevice("cuda");
      } catch (caught) {
        error = caught;
      }
      expect(isNativeError(error)).toBe(true);
      if (!isNativeError(error)) return;
      if (status.cuda?.built) {
        // Built against the toolkit: the CUDA runtime's error name is in the message.
        expect(error.code).toBe("DEVICE_NOT_FOUND");
        expect(error.message).toMatch(/cudaGetDeviceCount|no CUDA device/);
        expect(status.cuda.reason).toMatch(/cuda(Error\w+|GetDeviceCount)/);
      } else {
        expect(error.code).toBe("UNSUPPORTED_BACKEND");
      }
      expect(error.value).toBe("cuda");
    },
  );
});

describe("addon loading", () => {
  it("a missing addon is one clear error with the build commands", () => {
    let error: unknown;
    try {
      loadNativeAddon("../build/Release/does-not-exist.node");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NativeAddonLoadError);
    const message = (error as Error).message;
    expect(message).toContain("pnpm --filter @mlx/metal-native build");
    expect(message).toContain("npx cmake-js configure && npx cmake-js build");
    expect((error as NativeAddonLoadError).code).toBe("UNSUPPORTED_BACKEND");
  });
});

describe("runtimes that refuse external ArrayBuffers", () => {
  it("contents() throws UNSUPPORTED_BACKEND pointing at read/write, which still work", () => {
    const device = openDevice("host");
    const buffer = device.allocBuffer(8);
    setExternalArrayBuffersRefused(true);
    try {
      const error = expectNativeError(() => buffer.contents(), "UNSUPPORTED_BACKEND", {
        is: buffer,
      });
      expect(error.message).toMatch(/read.*write/);
      buffer.write(0, new Uint8Array([3]));
      expect(buffer.read(0, 1)[0]).toBe(3);
    } finally {
      setExternalArrayBuffersRefused(false);
    }
    expect(new Uint8Array(buffer.contents())[0]).toBe(3);
    buffer.destroy();
    device.destroy();
  });
});
