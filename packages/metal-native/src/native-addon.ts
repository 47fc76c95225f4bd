/**
 * Loads the compiled addon, in this order:
 *   1. `MLX_NATIVE_ADDON` (an absolute path), when set: only that file, no fallback;
 *   2. the prebuilt optional package for this platform, `@mlx/metal-native-<platform>-<arch>`
 *      (its `mlx_native.node`), when it is installed and has its binary;
 *   3. the local build, `build/Release/mlx_native.node` of this package.
 * When nothing loads, one NativeAddonLoadError says what was tried and how to build.
 */

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { MlxError } from "@mlx/errors";
import type {
  BackendName,
  BackendStatus,
  DeviceDescription,
  NativeBuffer,
  NativeBufferHandles,
  NativeDevice,
} from "./types.js";

/** What the compiled addon exports (src/native/addon.cpp registers it). */
export interface NativeAddon {
  openDevice(backend?: BackendName, index?: number): NativeDevice;
  listDevices(): DeviceDescription[];
  bufferHandles(buffer: NativeBuffer): NativeBufferHandles;
  backendStatus(): BackendStatus[];
  defaultBackend(): BackendName;
  liveBuffers(): { count: number; bytes: number };
  setAllocationFaultAfter(n: number | null): void;
  setExternalArrayBuffersRefused(refused: boolean): void;
  setHostFenceDelay(ms: number | null, failWith?: string): void;
}

/** Where the loaded addon came from. */
export type NativeAddonSource = "override" | "prebuilt" | "local-build";

/** Relative to this file, from both src/ and dist/. */
const DEFAULT_ADDON_PATH = "../build/Release/mlx_native.node";

/** The file every prebuilt package ships at its root. */
const PREBUILT_ADDON_FILE = "mlx_native.node";

export const BUILD_INSTRUCTIONS =
  "build it with `pnpm --filter @mlx/metal-native build` in the monorepo, or, for npm " +
  "consumers, `npx cmake-js configure && npx cmake-js build` inside " +
  "node_modules/@mlx/metal-native (npm does not run dependency install scripts)";

/** The optional package with a prebuilt binary for a platform, e.g. `@mlx/metal-native-linux-x64`. */
export function prebuiltPackageName(
  platform: string = process.platform,
  arch: string = process.arch,
): string {
  return `@mlx/metal-native-${platform}-${arch}`;
}

/** Thrown when the compiled addon is missing or cannot be loaded: `UNSUPPORTED_BACKEND`. */
export class NativeAddonLoadError extends MlxError {
  /** The file (or specifier) that failed to load. */
  declare readonly value: string;

  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(
      "UNSUPPORTED_BACKEND",
      `@mlx/metal-native: the native addon could not be loaded (${reason}); ${BUILD_INSTRUCTIONS}`,
      { value: path, cause },
    );
    this.name = "NativeAddonLoadError";
  }
}

/** A loaded addon, where it came from and the file (or specifier) it was loaded from. */
export interface LoadedNativeAddon {
  addon: NativeAddon;
  source: NativeAddonSource;
  path: string;
}

/** The inputs of {@link resolveAndLoadNativeAddon}; tests inject them. */
export interface NativeAddonCandidates {
  /** `MLX_NATIVE_ADDON`; empty or undefined: no override. */
  override?: string | undefined;
  /** Package name of the prebuilt binary for this platform. */
  prebuiltPackage: string;
  /** Path of the local build, as given to `load` (relative paths are relative to this file). */
  localBuild: string;
  /** Resolves a bare specifier (`<package>/mlx_native.node`) to a file, or throws. */
  resolve: (specifier: string) => string;
  /** Loads a `.node` file, or throws. */
  load: (path: string) => unknown;
}

function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}

/**
 * The loading order above, over injected resolve/load functions. A prebuilt package that is not
 * installed (or has no binary) is skipped silently; one that is installed but fails to load is
 * skipped too, and its reason is part of the error when the local build fails as well.
 */
export function resolveAndLoadNativeAddon(candidates: NativeAddonCandidates): LoadedNativeAddon {
  const { override, prebuiltPackage, localBuild, resolve, load } = candidates;
  if (override) {
    try {
      return { addon: load(override) as NativeAddon, source: "override", path: override };
    } catch (cause) {
      throw new NativeAddonLoadError(
        override,
        new Error(`MLX_NATIVE_ADDON=${override}: ${firstLine(cause)}`, { cause }),
      );
    }
  }
  const tried: string[] = [];
  let prebuiltPath: string | undefined;
  try {
    prebuiltPath = resolve(`${prebuiltPackage}/${PREBUILT_ADDON_FILE}`);
  } catch {
    tried.push(`no prebuilt package ${prebuiltPackage}`);
  }
  if (prebuiltPath !== undefined) {
    try {
      return { addon: load(prebuiltPath) as NativeAddon, source: "prebuilt", path: prebuiltPath };
    } catch (cause) {
      tried.push(`prebuilt ${prebuiltPackage} failed to load: ${firstLine(cause)}`);
    }
  }
  try {
    return { addon: load(localBuild) as NativeAddon, source: "local-build", path: localBuild };
  } catch (cause) {
    tried.push(`local build: ${firstLine(cause)}`);
    throw new NativeAddonLoadError(localBuild, new Error(tried.join("; "), { cause }));
  }
}

/**
 * Loads the addon: `path` (default `MLX_NATIVE_ADDON`) overrides; without it, the prebuilt
 * package for this platform, then the local build.
 */
export function loadNativeAddonWithSource(
  path: string | undefined = process.env.MLX_NATIVE_ADDON,
): LoadedNativeAddon {
  const require = createRequire(import.meta.url);
  return resolveAndLoadNativeAddon({
    override: path,
    prebuiltPackage: prebuiltPackageName(),
    localBuild: fileURLToPath(new URL(DEFAULT_ADDON_PATH, import.meta.url)),
    resolve: (specifier) => require.resolve(specifier),
    load: (file) => require(file),
  });
}

/** {@link loadNativeAddonWithSource}, the addon only. */
export function loadNativeAddon(path?: string): NativeAddon {
  return loadNativeAddonWithSource(path).addon;
}
