export { type ErrorCode, isMlxError, MlxError } from "@mlx/pool";
export {
  type ChartOptions,
  type ChartSeries,
  escapeXml,
  formatBytes,
  renderLineChart,
} from "./chart.js";
export {
  type BackendBench,
  type BenchOptions,
  formatBench,
  runBench,
  sampleStepSizes,
} from "./commands/bench.js";
export {
  DEFAULT_DEMO_TOKENS,
  type DemoOptions,
  type DemoResult,
  formatDemo,
  runDemo,
  stepForToken,
} from "./commands/demo.js";
export {
  type BackendInfo,
  collectInfo,
  type DeviceInfo,
  formatInfo,
  type InfoResult,
} from "./commands/info.js";
export {
  type ReplayOptions,
  type ReplayResult,
  type ReplaySeries,
  replayPoolOptions,
  replayTrace,
} from "./commands/replay.js";
export {
  formatReplay,
  type ReplayCommandOptions,
  replayChart,
  replayCommand,
} from "./commands/replay-command.js";
export { SAMPLE_TRACE_PATH } from "./fixtures.js";
export { type CommandIO, processIO, UsageError } from "./io.js";
export { PRESET_NAMES, type PresetName, presetOptions } from "./presets.js";
export {
  describeMeasurement,
  formatNs,
  type Measurement,
  measure,
  quantile,
  type Spread,
  spreadOf,
} from "./timing.js";
export {
  type AllocOp,
  type FreeOp,
  loadTrace,
  parseTrace,
  type ResetOp,
  TRACE_FORMAT,
  type Trace,
  TraceError,
  type TraceOp,
  validateTrace,
} from "./trace.js";
export { playStep, type TraceActions } from "./trace-player.js";
