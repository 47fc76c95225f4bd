// What the fake Metal runtime saw, read through the test-only exports of the MLX_METAL_FAKE
// build (addon_exports.cpp). null when the loaded addon is not that build.
import { createRequire } from "node:module";

export interface FakeMetalReport {
  /** Fake objects alive that no cache explains, by class. */
  leaked: Record<string, number>;
  /** Over-releases, messages to deallocated objects, broken Metal rules. */
  violations: string[];
  /** Autorelease pools pushed and not popped on this (the JavaScript) thread. */
  poolDepth: number;
  autoreleasedWithoutPool: number;
  /** MTLResidencySet commit calls. */
  residencyCommits: number;
  pendingCommandBuffers: number;
  createSystemDefaultDeviceCalls: number;
  copyAllDevicesCalls: number;
}

export interface FakeMetalKnobs {
  failBuffersAbove?: number | null;
  failResidencySet?: boolean;
  failCommandBuffer?: boolean;
  supportsMetal3?: boolean;
}

export interface FakeMetalExports {
  fakeMetalReport(): FakeMetalReport;
  fakeMetalSetKnobs(knobs: FakeMetalKnobs): void;
  fakeMetalWaitForCommandBuffers(): void;
  fakeMetalLeakForTest(): void;
  /** A command queue the test owns, on `device` (an id<MTLDevice>) or, for null, a device of its own. */
  fakeMetalNewCommandQueue(device: bigint | null): bigint;
  /** Releases what fakeMetalNewCommandQueue returned. */
  fakeMetalReleaseObject(object: bigint): void;
  /** Residency sets attached to a queue now. */
  fakeMetalQueueResidencySets(queue: bigint): number;
  /** The MTLResourceOptions an `id<MTLBuffer>` was created with; -1 when it is not a live fake MTLBuffer. */
  fakeMetalBufferOptions(buffer: bigint): number;
  /** Metal calls logged so far ("Class selector ..."); `clear` empties the log. */
  fakeMetalCallLog(clear?: boolean): string[];
  liveBuffers(): { count: number; bytes: number };
}

function loadFakeExports(): FakeMetalExports | null {
  const path = process.env.MLX_NATIVE_ADDON;
  if (!path) return null;
  const addon = createRequire(import.meta.url)(path) as Partial<FakeMetalExports>;
  return typeof addon.fakeMetalReport === "function" ? (addon as FakeMetalExports) : null;
}

/** The fake build's exports, or null (then the reason is in {@link fakeMetalSkipReason}). */
export const fakeMetal: FakeMetalExports | null = loadFakeExports();

export const fakeMetalSkipReason: string | null = fakeMetal
  ? null
  : "not the MLX_METAL_FAKE build: set MLX_NATIVE_ADDON to build-metal-fake/Release/mlx_native.node (scripts/metal-fake/run.sh)";

/**
 * What is wrong now: violations, pools left pushed, and MTLBuffers that no live native buffer
 * owns (each live buffer record owns exactly one). Empty when all is well.
 */
export function fakeMetalProblems(exports: FakeMetalExports): string[] {
  exports.fakeMetalWaitForCommandBuffers();
  const report = exports.fakeMetalReport();
  const problems = report.violations.map((v) => `violation: ${v}`);
  if (report.poolDepth !== 0) problems.push(`${report.poolDepth} autorelease pool(s) left pushed`);
  if (report.autoreleasedWithoutPool !== 0)
    problems.push(`${report.autoreleasedWithoutPool} autorelease(s) with no pool`);
  const buffers = report.leaked.FakeMTLBuffer ?? 0;
  const owned = exports.liveBuffers().count;
  if (buffers !== owned) problems.push(`${buffers} MTLBuffer(s) alive for ${owned} live buffer(s)`);
  return problems;
}

/**
 * The hazard-tracking mode in MTLResourceOptions: bits 8-9 (MTLResourceHazardTrackingModeShift),
 * MTLHazardTrackingMode 0 default (tracked, for buffers), 1 untracked, 2 tracked.
 * https://developer.apple.com/documentation/metal/mtlhazardtrackingmode
 */
export function hazardTrackingOf(options: number): "default" | "untracked" | "tracked" {
  const mode = (options >> 8) & 3;
  if (mode === 1) return "untracked";
  return mode === 2 ? "tracked" : "default";
}
