export { type ErrorCode, isMlxError, MlxError } from "@mlx/pool";
export {
  binaryTicks,
  type ChartOptions,
  type ChartSeries,
  type ChartXMark,
  formatBinaryTick,
  formatBytes,
  renderLineChart,
} from "./chart.js";
export { type CountPanel, type CountSeries, countTicks } from "./chart-counts.js";
export { escapeXml } from "./chart-text.js";
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
  type ReplayPass,
  type ReplayResult,
  type ReplaySeries,
  replayPoolOptions,
  replayTrace,
} from "./commands/replay.js";
export {
  formatReplay,
  type ReplayCommandOptions,
  replayCommand,
} from "./commands/replay-command.js";
export { deviceLabel } from "./device-label.js";
export { SAMPLE_TRACE_PATH } from "./fixtures.js";
export { type CommandIO, processIO, UsageError } from "./io.js";
export { PRESET_DESCRIPTIONS, PRESET_NAMES, type PresetName, presetOptions } from "./presets.js";
export { type Progress, startProgress } from "./progress.js";
export { type ChartedRun, checkChartTarget, replayChart, stepMarks } from "./replay-chart.js";
export {
  describeMeasurement,
  formatNs,
  type Measurement,
  measure,
  measureAsync,
  quantile,
  type Spread,
  spreadOf,
  type Tail,
  tailOf,
  timeEach,
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
export {
  type SchemaProblem,
  TRACE_SCHEMA,
  TRACE_SCHEMA_URL,
  traceSchemaProblem,
} from "./trace-schema.js";
