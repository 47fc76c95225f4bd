import {
  backendStatus,
  type DeviceOptions,
  MlxDevice,
  nativeAddonPath,
  nativeAddonSource,
} from "@mlx/pool";
import { formatBytes } from "../chart.js";
import { deviceLabel } from "../device-label.js";

export interface BackendInfo {
  name: string;
  built: boolean;
  available: boolean;
  reason: string | null;
}

export interface DeviceInfo {
  backend: string;
  name: string;
  hasUnifiedMemory: boolean;
  maxBufferLength: number;
  recommendedMaxWorkingSetSize: number;
  residencySetsEnabled: boolean;
  residencyDisabledReason: string | null;
}

export interface InfoResult {
  /** Where the native addon was loaded from: a prebuilt package, the local build, an override. */
  addon: { source: string | null; path: string | null };
  backends: BackendInfo[];
  device: DeviceInfo | null;
  /** Why no device opened, when none did. */
  deviceError: string | null;
}

/** Backends built into the addon and the default (or chosen) device's properties. */
export function collectInfo(backend: DeviceOptions["backend"] = "auto"): InfoResult {
  const backends = backendStatus().map(({ name, built, available, reason }) => ({
    name,
    built,
    available,
    reason: reason ?? null,
  }));
  let device: DeviceInfo | null = null;
  let deviceError: string | null = null;
  try {
    const opened = MlxDevice.open({ backend });
    device = {
      backend: opened.backend,
      name: opened.name,
      hasUnifiedMemory: opened.hasUnifiedMemory,
      maxBufferLength: opened.maxBufferLength,
      recommendedMaxWorkingSetSize: opened.recommendedMaxWorkingSetSize,
      residencySetsEnabled: opened.residencySetsEnabled,
      residencyDisabledReason: opened.residencyDisabledReason,
    };
    opened.dispose();
  } catch (error) {
    deviceError = (error as Error).message;
  }
  return {
    addon: { source: nativeAddonSource(), path: nativeAddonPath() },
    backends,
    device,
    deviceError,
  };
}

export function formatInfo(info: InfoResult): string[] {
  const lines = [
    `addon: ${info.addon.source ?? "not loaded"}${info.addon.path === null ? "" : ` (${info.addon.path})`}`,
    "backends:",
  ];
  for (const b of info.backends) {
    const state = b.available ? "available" : b.built ? "built, not usable here" : "not built";
    lines.push(
      `  ${b.name.padEnd(6)} ${state}${b.available || b.reason === null ? "" : `: ${b.reason.replace(/^not built: /, "")}`}`,
    );
  }
  const d = info.device;
  if (d === null) {
    lines.push(`device: none (${info.deviceError ?? "unknown error"})`);
    return lines;
  }
  lines.push(
    `device: ${deviceLabel(d.backend, d.name)}`,
    `  unified memory      ${d.hasUnifiedMemory ? "yes" : "no"}`,
    `  max buffer length   ${formatBytes(d.maxBufferLength)} (${d.maxBufferLength} bytes)`,
    `  working set (rec.)  ${formatBytes(d.recommendedMaxWorkingSetSize)}`,
    `  residency sets      ${d.residencySetsEnabled ? "on" : `off: ${d.residencyDisabledReason ?? "unknown reason"}`}`,
  );
  return lines;
}
