/**
 * Environment switches, read once and cached: the allocation hot path asks on every fresh
 * buffer, and `process.env` is a slow, string-allocating accessor.
 */

let disabledCache: boolean | undefined;
let profilingCache: boolean | undefined;

/** `"1"` or `"true"` (any case) turns a switch on; anything else, or unset, leaves it off. */
function flagIsOn(name: string): boolean {
  // `process` is absent in browsers, where this package also runs.
  const value = typeof process === "undefined" ? undefined : process.env[name];
  return value === "1" || value?.toLowerCase() === "true";
}

/**
 * Whether residency sets are switched off by the environment: `MLX_NO_RESIDENCY=1`, or
 * `HF2Q_NO_RESIDENCY=1`, the name earlier tools read. Read once, then cached until
 * {@link resetResidencyEnvCache}.
 */
export function residencyDisabledByEnv(): boolean {
  if (disabledCache === undefined) {
    disabledCache = flagIsOn("MLX_NO_RESIDENCY") || flagIsOn("HF2Q_NO_RESIDENCY");
  }
  return disabledCache;
}

/**
 * Whether `MLX_PROFILE_RESIDENCY=1` asks for one stderr line per registration. Read once, then
 * cached until {@link resetResidencyEnvCache}.
 */
export function residencyProfilingEnabled(): boolean {
  if (profilingCache === undefined) profilingCache = flagIsOn("MLX_PROFILE_RESIDENCY");
  return profilingCache;
}

/**
 * Whether a device should use a residency set: `requested` (default `true`) and not switched
 * off by {@link residencyDisabledByEnv}.
 */
export function residencyEnabled(requested = true): boolean {
  return requested && !residencyDisabledByEnv();
}

/** Test hook: forgets the cached environment switches so the next read sees `process.env`. */
export function resetResidencyEnvCache(): void {
  disabledCache = undefined;
  profilingCache = undefined;
}
