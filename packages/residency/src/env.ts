/**
 * Environment switches, read once and cached: the allocation hot path asks on every fresh
 * buffer, and `process.env` is a slow, string-allocating accessor.
 */

/** The variable that switched residency off (`null`: none), once read. */
let disabledByCache: string | null | undefined;
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
  return residencyDisabledEnvName() !== null;
}

/**
 * The name of the variable that switches residency off, `MLX_NO_RESIDENCY` first, or `null`
 * when neither is on. Cached as {@link residencyDisabledByEnv} is.
 */
export function residencyDisabledEnvName(): string | null {
  if (disabledByCache === undefined) {
    disabledByCache = flagIsOn("MLX_NO_RESIDENCY")
      ? "MLX_NO_RESIDENCY"
      : flagIsOn("HF2Q_NO_RESIDENCY")
        ? "HF2Q_NO_RESIDENCY"
        : null;
  }
  return disabledByCache;
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
  disabledByCache = undefined;
  profilingCache = undefined;
}
