import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ResidencyBinding,
  ResidencySet,
  resetResidencyEnvCache,
  residencyDisabledByEnv,
  residencyDisabledEnvName,
  residencyEnabled,
  residencyProfilingEnabled,
} from "../src/index.js";
import { buf, device, FakeNativeSet, keyOf } from "./fake-native.js";

const VARS = ["MLX_NO_RESIDENCY", "HF2Q_NO_RESIDENCY", "MLX_PROFILE_RESIDENCY"] as const;
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  resetResidencyEnvCache();
});

afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  resetResidencyEnvCache();
});

describe("MLX_NO_RESIDENCY / HF2Q_NO_RESIDENCY", () => {
  it("is off when unset", () => {
    expect(residencyDisabledByEnv()).toBe(false);
    expect(residencyEnabled()).toBe(true);
    expect(residencyEnabled(false)).toBe(false);
  });

  it("MLX_NO_RESIDENCY=1 disables residency", () => {
    process.env.MLX_NO_RESIDENCY = "1";
    expect(residencyDisabledByEnv()).toBe(true);
    expect(residencyEnabled(true)).toBe(false);
  });

  it("HF2Q_NO_RESIDENCY=1 disables residency, for parity with the seed", () => {
    process.env.HF2Q_NO_RESIDENCY = "1";
    expect(residencyDisabledByEnv()).toBe(true);
  });

  it("residencyDisabledEnvName names the variable that is set, MLX_NO_RESIDENCY first", () => {
    expect(residencyDisabledEnvName()).toBeNull();
    process.env.HF2Q_NO_RESIDENCY = "1";
    resetResidencyEnvCache();
    expect(residencyDisabledEnvName()).toBe("HF2Q_NO_RESIDENCY");
    process.env.MLX_NO_RESIDENCY = "true";
    resetResidencyEnvCache();
    expect(residencyDisabledEnvName()).toBe("MLX_NO_RESIDENCY");
    process.env.MLX_NO_RESIDENCY = "0";
    resetResidencyEnvCache();
    expect(residencyDisabledEnvName()).toBe("HF2Q_NO_RESIDENCY");
  });

  it("accepts true in any case, and nothing else", () => {
    process.env.MLX_NO_RESIDENCY = "TRUE";
    expect(residencyDisabledByEnv()).toBe(true);
    for (const value of ["0", "", "false", "yes"]) {
      process.env.MLX_NO_RESIDENCY = value;
      resetResidencyEnvCache();
      expect(residencyDisabledByEnv()).toBe(false);
    }
  });

  it("is read once and cached until the test hook clears it", () => {
    expect(residencyDisabledByEnv()).toBe(false);
    process.env.MLX_NO_RESIDENCY = "1";
    expect(residencyDisabledByEnv()).toBe(false); // cached
    resetResidencyEnvCache();
    expect(residencyDisabledByEnv()).toBe(true);
    delete process.env.MLX_NO_RESIDENCY;
    expect(residencyDisabledByEnv()).toBe(true); // cached again
    resetResidencyEnvCache();
    expect(residencyDisabledByEnv()).toBe(false);
  });
});

describe("MLX_PROFILE_RESIDENCY", () => {
  it("is cached and cleared by the same hook", () => {
    expect(residencyProfilingEnabled()).toBe(false);
    process.env.MLX_PROFILE_RESIDENCY = "1";
    expect(residencyProfilingEnabled()).toBe(false);
    resetResidencyEnvCache();
    expect(residencyProfilingEnabled()).toBe(true);
  });
});

describe("no registration when disabled", () => {
  it("a binding made while disabled registers nothing and checks nothing", () => {
    process.env.MLX_NO_RESIDENCY = "1";
    resetResidencyEnvCache();
    const binding = new ResidencyBinding<ResidencySet<ReturnType<typeof buf>>>();
    expect(binding.enabled).toBe(false);
    const nativeA = new FakeNativeSet();
    const nativeB = new FakeNativeSet();
    const a = new ResidencySet(nativeA, { owner: device("a"), keyOf, profile: false });
    const b = new ResidencySet(nativeB, { owner: device("b"), keyOf, profile: false });
    // The pool's pattern: `binding.bind(device set)?.register(buffer)`.
    expect(binding.bind(a)?.register(buf(1))).toBeUndefined();
    expect(binding.bind(b)?.register(buf(2))).toBeUndefined(); // no mixing error either
    expect(binding.set).toBeUndefined();
    expect(nativeA.totalCalls + nativeB.totalCalls).toBe(0);
  });

  it("the same pattern registers once enabled again through the hook", () => {
    process.env.HF2Q_NO_RESIDENCY = "1";
    resetResidencyEnvCache();
    expect(new ResidencyBinding().enabled).toBe(false);
    delete process.env.HF2Q_NO_RESIDENCY;
    resetResidencyEnvCache();
    const binding = new ResidencyBinding<ResidencySet<ReturnType<typeof buf>>>();
    const native = new FakeNativeSet();
    const set = new ResidencySet(native, { owner: device("a"), keyOf, profile: false });
    expect(binding.bind(set)?.register(buf(1))).toBe(true);
    expect(native.calls.commit).toBe(1);
  });

  it("an explicit enabled option wins over the environment", () => {
    process.env.MLX_NO_RESIDENCY = "1";
    resetResidencyEnvCache();
    expect(new ResidencyBinding({ enabled: true }).enabled).toBe(true);
  });
});
