// The loader's order: MLX_NATIVE_ADDON, then the prebuilt package for this platform, then the
// local build; one error with the build commands when nothing loads.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type NativeAddonCandidates,
  NativeAddonLoadError,
  prebuiltPackageName,
  resolveAndLoadNativeAddon,
} from "../src/native-addon.js";

const PREBUILT = "@mlx/metal-native-testos-testarch";
const PREBUILT_FILE = "/fake/node_modules/@mlx/metal-native-testos-testarch/mlx_native.node";
const LOCAL = "/fake/node_modules/@mlx/metal-native/build/Release/mlx_native.node";

/** Candidates over a fake file system: `files` maps paths to the "addon" each one loads as. */
function candidates(
  files: Record<string, unknown>,
  override?: string,
): NativeAddonCandidates & { loaded: string[] } {
  const loaded: string[] = [];
  return {
    loaded,
    override,
    prebuiltPackage: PREBUILT,
    localBuild: LOCAL,
    resolve: (specifier) => {
      expect(specifier).toBe(`${PREBUILT}/mlx_native.node`);
      if (!(PREBUILT_FILE in files)) throw new Error(`Cannot find module '${specifier}'`);
      return PREBUILT_FILE;
    },
    load: (path) => {
      loaded.push(path);
      const addon = files[path];
      if (addon === undefined) throw new Error(`Cannot find module '${path}'`);
      if (addon instanceof Error) throw addon;
      return addon;
    },
  };
}

function loadError(c: NativeAddonCandidates): NativeAddonLoadError {
  let caught: unknown;
  try {
    resolveAndLoadNativeAddon(c);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(NativeAddonLoadError);
  return caught as NativeAddonLoadError;
}

describe("loader order (injected resolver)", () => {
  it("names the prebuilt package after process.platform and process.arch", () => {
    expect(prebuiltPackageName("darwin", "arm64")).toBe("@mlx/metal-native-darwin-arm64");
    expect(prebuiltPackageName("linux", "x64")).toBe("@mlx/metal-native-linux-x64");
    expect(prebuiltPackageName()).toBe(`@mlx/metal-native-${process.platform}-${process.arch}`);
  });

  it("prefers the prebuilt package when it is installed", () => {
    const c = candidates({ [PREBUILT_FILE]: { id: "prebuilt" }, [LOCAL]: { id: "local" } });
    const result = resolveAndLoadNativeAddon(c);
    expect(result).toEqual({ addon: { id: "prebuilt" }, source: "prebuilt", path: PREBUILT_FILE });
    expect(c.loaded).toEqual([PREBUILT_FILE]);
  });

  it("falls back to the local build when no prebuilt package is installed", () => {
    const c = candidates({ [LOCAL]: { id: "local" } });
    expect(resolveAndLoadNativeAddon(c)).toEqual({
      addon: { id: "local" },
      source: "local-build",
      path: LOCAL,
    });
    expect(c.loaded).toEqual([LOCAL]);
  });

  it("falls back to the local build when the prebuilt binary fails to load", () => {
    const c = candidates({
      [PREBUILT_FILE]: new Error("GLIBC_2.38 not found"),
      [LOCAL]: { id: "local" },
    });
    expect(resolveAndLoadNativeAddon(c).source).toBe("local-build");
    expect(c.loaded).toEqual([PREBUILT_FILE, LOCAL]);
  });

  it("MLX_NATIVE_ADDON comes first and has no fallback", () => {
    const all = { [PREBUILT_FILE]: { id: "prebuilt" }, [LOCAL]: { id: "local" } };
    const c = candidates(
      { ...all, "/asan/mlx_native.node": { id: "asan" } },
      "/asan/mlx_native.node",
    );
    expect(resolveAndLoadNativeAddon(c)).toEqual({
      addon: { id: "asan" },
      source: "override",
      path: "/asan/mlx_native.node",
    });
    const missing = candidates(all, "/nowhere/mlx_native.node");
    const error = loadError(missing);
    expect(missing.loaded).toEqual(["/nowhere/mlx_native.node"]);
    expect(error.message).toContain("MLX_NATIVE_ADDON=/nowhere/mlx_native.node");
    expect(error.value).toBe("/nowhere/mlx_native.node");
  });

  it("nothing loadable is ONE error that says what was tried and how to build", () => {
    const error = loadError(candidates({}));
    expect(error.code).toBe("UNSUPPORTED_BACKEND");
    expect(error.value).toBe(LOCAL);
    expect(error.message).toContain(`no prebuilt package ${PREBUILT}`);
    expect(error.message).toContain("local build: Cannot find module");
    expect(error.message).toContain("pnpm --filter @mlx/metal-native build");
    expect(error.message).toContain("npx cmake-js configure && npx cmake-js build");

    const broken = loadError(candidates({ [PREBUILT_FILE]: new Error("wrong ELF class") }));
    expect(broken.message).toContain(`prebuilt ${PREBUILT} failed to load: wrong ELF class`);
    expect(broken.message).toContain("npx cmake-js configure && npx cmake-js build");
  });
});

// The same order through Node's real resolution: a temporary node_modules with this package's
// dist/, its @mlx/errors dependency and a copy of the real addon, with and without the prebuilt package beside it.
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const builtAddon = join(packageDir, "build/Release/mlx_native.node");
const distEntry = join(packageDir, "dist/index.js");
const layoutReason = !existsSync(builtAddon)
  ? `no local build at ${builtAddon}`
  : !existsSync(distEntry)
    ? `no ${distEntry} (run the build first)`
    : null;
if (layoutReason !== null) console.log(`loader layout tests skipped: ${layoutReason}`);

describe.skipIf(layoutReason !== null)("loader order (real node_modules layout)", () => {
  const root = join(tmpdir(), `mlx-loader-${process.pid}-${Date.now()}`);
  // Set up by the first test and removed by the last, or at exit (no beforeAll/afterAll: the GPU bundle's
  // vitest shim, scripts/gpu/vitest-shim.ts, has only the per-test hooks).
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  const scope = join(root, "node_modules/@mlx");
  const nativeDir = join(scope, "metal-native");
  const prebuiltName = prebuiltPackageName();
  const prebuiltDir = join(scope, prebuiltName.slice("@mlx/".length));

  function probe(env: Record<string, string> = {}): {
    source: string | null;
    path: string | null;
    hostAvailable: boolean;
    error: string | null;
  } {
    const script =
      'const m = await import("@mlx/metal-native");' +
      "console.log(JSON.stringify({ source: m.nativeAddonSource(), path: m.nativeAddonPath()," +
      ' hostAvailable: m.availableBackends.includes("host"), error: m.nativeAddonLoadError?.message ?? null }));';
    // NODE_PATH: pnpm scripts point it at the workspace's node_modules/.pnpm/node_modules,
    // where the real prebuilt package is linked; the probe must see only the temporary layout.
    const { MLX_NATIVE_ADDON: _, NODE_PATH: __, ...inherited } = process.env;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      env: { ...inherited, ...env },
      encoding: "utf8",
    });
    return JSON.parse(out.trim().split("\n").at(-1) as string);
  }

  function setUp(): void {
    mkdirSync(join(nativeDir, "build/Release"), { recursive: true });
    cpSync(join(packageDir, "dist"), join(nativeDir, "dist"), { recursive: true });
    cpSync(join(packageDir, "package.json"), join(nativeDir, "package.json"));
    cpSync(builtAddon, join(nativeDir, "build/Release/mlx_native.node"));
    // The one runtime dependency, @mlx/errors, as an install would place it.
    const errorsDir = join(packageDir, "node_modules/@mlx/errors");
    cpSync(join(errorsDir, "dist"), join(scope, "errors/dist"), { recursive: true });
    cpSync(join(errorsDir, "package.json"), join(scope, "errors/package.json"));
    mkdirSync(prebuiltDir, { recursive: true });
    writeFileSync(
      join(prebuiltDir, "package.json"),
      JSON.stringify({ name: prebuiltName, version: "0.0.0", files: ["mlx_native.node"] }),
    );
    cpSync(builtAddon, join(prebuiltDir, "mlx_native.node"));
  }

  it("loads the prebuilt package when it is installed", () => {
    setUp();
    const result = probe();
    expect(result).toMatchObject({ source: "prebuilt", hostAvailable: true, error: null });
    expect(result.path).toBe(join(prebuiltDir, "mlx_native.node"));
  });

  it("MLX_NATIVE_ADDON overrides both", () => {
    const file = join(nativeDir, "build/Release/mlx_native.node");
    expect(probe({ MLX_NATIVE_ADDON: file })).toMatchObject({ source: "override", path: file });
  });

  it("falls back to the local build without the prebuilt package's binary, then without the package", () => {
    rmSync(join(prebuiltDir, "mlx_native.node"));
    const result = probe();
    expect(result).toMatchObject({ source: "local-build", hostAvailable: true, error: null });
    expect(result.path).toBe(join(nativeDir, "build/Release/mlx_native.node"));
    rmSync(prebuiltDir, { recursive: true });
    expect(probe().source).toBe("local-build");
  });

  it("with neither, importing still works and the error says how to build", () => {
    rmSync(join(nativeDir, "build"), { recursive: true });
    const result = probe();
    expect(result).toMatchObject({ source: null, path: null, hostAvailable: false });
    expect(result.error).toContain(`no prebuilt package ${prebuiltName}`);
    expect(result.error).toContain("npx cmake-js configure && npx cmake-js build");
    rmSync(root, { recursive: true, force: true });
  });
});
