import {
  loadNativeAddonWithSource,
  type NativeAddon,
  type NativeAddonLoadError,
  type NativeAddonSource,
} from "./native-addon.js";

/**
 * The addon, loaded once when this module is first imported. Loading never throws here: a
 * missing addon is kept as `loadError` and thrown by {@link loadedAddon} on first use.
 */
let addon: NativeAddon | undefined;
let source: NativeAddonSource | null = null;
let path: string | null = null;
let loadError: NativeAddonLoadError | undefined;
try {
  const loaded = loadNativeAddonWithSource();
  addon = loaded.addon;
  source = loaded.source;
  path = loaded.path;
} catch (error) {
  loadError = error as NativeAddonLoadError;
}

/** The loaded addon; throws the `NativeAddonLoadError` when it did not load. */
export function loadedAddon(): NativeAddon {
  if (addon === undefined) throw loadError as NativeAddonLoadError;
  return addon;
}

/** The loaded addon, or `undefined` when it did not load. */
export function addonIfLoaded(): NativeAddon | undefined {
  return addon;
}

/** Why the addon did not load, or `null` when it did. */
export function addonLoadError(): NativeAddonLoadError | null {
  return loadError ?? null;
}

/** Which candidate loaded, or `null`. */
export function addonSource(): NativeAddonSource | null {
  return source;
}

/** The file the addon was loaded from, or `null`. */
export function addonPath(): string | null {
  return path;
}
