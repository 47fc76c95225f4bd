/**
 * Loads the compiled addon. Kept on its own so a later change can try a prebuilt optional
 * package before the local build.
 */
import { createRequire } from "node:module";
import type { BackendName, BackendStatus, NativeDevice } from "./types.js";

/** What the compiled addon exports (binding.cpp). */
export interface NativeAddon {
  openDevice(backend?: BackendName): NativeDevice;
  backendStatus(): BackendStatus[];
  defaultBackend(): BackendName;
  setAllocationFaultAfter(n: number | null): void;
  setExternalArrayBuffersRefused(refused: boolean): void;
  setHostFenceDelay(ms: number | null, failWith?: string): void;
}

/** Relative to this file, from both src/ and dist/. */
export const DEFAULT_ADDON_PATH = "../build/Release/mlx_native.node";

export const BUILD_INSTRUCTIONS =
  "build it with `pnpm --filter @mlx/metal-native build` in the monorepo, or, for npm " +
  "consumers, `npx cmake-js configure && npx cmake-js build` inside " +
  "node_modules/@mlx/metal-native (npm does not run dependency install scripts)";

/** Thrown when the compiled addon is missing or cannot be loaded. */
export class NativeAddonLoadError extends Error {
  readonly code = "UNSUPPORTED_BACKEND";
  readonly value: string;

  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(
      `@mlx/metal-native: the native addon could not be loaded (${reason}); ${BUILD_INSTRUCTIONS}`,
      {
        cause,
      },
    );
    this.name = "NativeAddonLoadError";
    this.value = path;
  }
}

/**
 * `MLX_NATIVE_ADDON` (an absolute path) overrides the default, e.g. for the ASan build
 * (scripts/asan.sh).
 */
export function loadNativeAddon(
  path: string = process.env.MLX_NATIVE_ADDON || DEFAULT_ADDON_PATH,
): NativeAddon {
  const require = createRequire(import.meta.url);
  try {
    return require(path) as NativeAddon;
  } catch (cause) {
    throw new NativeAddonLoadError(path, cause);
  }
}
