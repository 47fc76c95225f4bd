// The benchmark scripts' timing helpers: the CLI's, so that every benchmark and command
// computes medians and spreads alike (build @mlx/cli first).
export {
  describeMeasurement as describeResult,
  formatNs,
  measure,
  measureAsync,
  quantile,
  spreadOf,
  tailOf,
  timeEach,
} from "../packages/cli/dist/timing.js";
