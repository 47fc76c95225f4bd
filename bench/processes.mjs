// Runs one benchmark script in several fresh processes (JIT decisions and heap layout differ
// from process to process) and summarises each figure over them: median and range.
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { quantile } from "./measure.mjs";

/** Each process's last stdout line, parsed as JSON; `nodeFlags` go before the script. */
export function runProcesses(script, args, count, { nodeFlags = [], env = process.env } = {}) {
  const runs = [];
  for (let p = 0; p < count; p++) {
    const out = execFileSync(process.execPath, [...nodeFlags, script, ...args], {
      encoding: "utf8",
      env,
      maxBuffer: 1 << 28,
    });
    const lines = out.trim().split("\n");
    runs.push({ result: JSON.parse(lines.at(-1)), stdout: lines.slice(0, -1) });
  }
  return runs;
}

/** Median and range of one figure over the processes. */
export function acrossProcesses(values) {
  return {
    median: quantile(values, 0.5),
    min: Math.min(...values),
    max: Math.max(...values),
    processes: values.length,
  };
}

/** The machine, as a report names it. */
export function machine() {
  const cpu = cpus();
  return `${cpu[0]?.model ?? "unknown CPU"} (${cpu.length} logical CPUs), Node ${process.version}, ${process.platform}-${process.arch}`;
}

export function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
