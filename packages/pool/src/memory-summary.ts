import type { MlxDevice } from "./device.js";
import { limits, NO_LIMIT } from "./memory-registry.js";
import { memoryStats } from "./memory-stats.js";

/**
 * The memory figures as a table a person reads, in the manner of `torch.cuda.memory_summary()`:
 * one row per figure with PyTorch's and MLX's words beside ours, then the limits.
 */
export function memorySummary(device?: MlxDevice): string {
  const s = memoryStats(device);
  const scope = device === undefined ? "every pool and device" : `device ${device.name}`;
  const rows: [string, string, string][] = [
    ["active (allocated)", formatSize(s.activeBytes), buffers(s.activeCount)],
    ["  peak active", formatSize(s.peakActiveBytes), ""],
    ["  of which direct", formatSize(s.directBytes), buffers(s.directCount)],
    ["cache (free in pools)", formatSize(s.cacheBytes), buffers(s.cacheCount)],
    ["pending (fenced)", formatSize(s.pendingBytes), ""],
    ["reserved (held)", formatSize(s.reservedBytes), ""],
    ["  peak reserved", formatSize(s.peakReservedBytes), ""],
    ["cache limit", limitText(limits.cacheBytes), "setCacheLimit"],
    ["memory limit", limitText(limits.memoryBytes), "setMemoryLimit"],
  ];
  const title = `mlx memory summary: ${scope}, ${s.pools} ${s.pools === 1 ? "pool" : "pools"}`;
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map(([a, b, c]) => `| ${a.padEnd(w0)} | ${b.padStart(w1)} | ${c}`.trimEnd());
  const rule = `|${"-".repeat(w0 + 2)}|${"-".repeat(w1 + 2)}|`;
  return [title, rule, ...lines, rule].join("\n");
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes in binary units, three significant figures: `1.50 MiB`. */
function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toPrecision(3)} ${UNITS[unit]}`;
}

function buffers(count: number): string {
  return count === 1 ? "1 buffer" : `${count} buffers`;
}

function limitText(bytes: number): string {
  return bytes === NO_LIMIT ? "none" : formatSize(bytes);
}
