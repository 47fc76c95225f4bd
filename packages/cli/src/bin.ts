#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { BACKEND_CHOICES } from "@mlx/pool";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { formatBench, runBench } from "./commands/bench.js";
import { DEFAULT_DEMO_TOKENS } from "./commands/demo.js";
import { collectInfo, formatInfo } from "./commands/info.js";
import { replayCommand } from "./commands/replay-command.js";
import { processIO, UsageError } from "./io.js";
import { PRESET_DESCRIPTIONS, PRESET_NAMES } from "./presets.js";
import { type DemoCommandOptions, demoCommand } from "./webgpu-decode/demo-command.js";

const io = processIO;
const BACKENDS: string[] = [...BACKEND_CHOICES];

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

const presetHelp = `pool configuration: ${PRESET_NAMES.map((p) => `${p} (${PRESET_DESCRIPTIONS[p]})`).join("; ")}`;
const presetOption = () =>
  new Option("--preset <name>", presetHelp).choices([...PRESET_NAMES]).default("seed");

const backendOption = () =>
  new Option("--backend <name>", "device backend").choices(BACKENDS).default("auto");

/** Runs a command body; known input errors become one stderr line and their exit code. */
function guarded<A extends unknown[]>(
  name: string,
  body: (...args: A) => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      body(...args);
    } catch (error) {
      const code = error instanceof UsageError ? error.exitCode : 1;
      const message = (error as Error).message ?? String(error);
      io.err(`mlx-pool ${name}: ${message.split("\n")[0]}`);
      process.exitCode = code;
    }
  };
}

const program = new Command("mlx-pool")
  .description("Demo, benchmark and trace replay for the @mlx buffer pool")
  .version(version, "-V, --version", "print the version")
  // A usage error is its one line and a hint, not the whole help.
  .showHelpAfterError("(mlx-pool --help lists the commands)")
  // Bad usage (unknown option, bad choice or number) exits 2, as a malformed trace does.
  .exitOverride();

program
  .command("demo")
  .description(
    "a decode loop through the pool: a WGSL transformer decode when a WebGPU adapter exists, else the native pool",
  )
  .addOption(
    new Option("--backend <name>", "webgpu, or a native backend")
      .choices([...BACKENDS, "webgpu"])
      .default("auto"),
  )
  .option("--tokens <n>", "tokens to decode", integer(1), DEFAULT_DEMO_TOKENS)
  .addOption(presetOption())
  .option(
    "--record <file>",
    "record the native pool demo's pooled loop as an mlx-pool-trace/1 file for replay",
  )
  .option("--json", "print the report as JSON")
  .action((opts: DemoCommandOptions) =>
    demoCommand(opts, io).then(
      (code) => {
        process.exitCode = code;
      },
      (error) =>
        guarded("demo", () => {
          throw error;
        })(),
    ),
  );

program
  .command("info")
  .description("backends built, device, unified memory, max buffer length, residency support")
  .addOption(backendOption())
  .option("--json", "print as JSON")
  .action(
    guarded("info", (opts: { backend: "auto"; json?: boolean }) => {
      const info = collectInfo(opts.backend);
      if (opts.json) io.out(JSON.stringify(info));
      else for (const line of formatInfo(info)) io.out(line);
      if (info.device === null) process.exitCode = 1;
    }),
  );

program
  .command("bench")
  .description("pooled alloc+reset vs direct alloc+destroy on one decode step's sizes, per backend")
  .addOption(
    new Option("--backend <name>", "one backend (default: every available one)").choices(
      BACKENDS.slice(1),
    ),
  )
  .option("--repetitions <n>", "timed repetitions of the pooled step", integer(10), 2000)
  .option("--json", "print as JSON")
  .action(
    guarded("bench", (opts: { backend?: string; repetitions: number; json?: boolean }) => {
      const results = runBench(
        {
          backends: opts.backend === undefined ? undefined : [opts.backend],
          repetitions: opts.repetitions,
        },
        io,
      );
      if (opts.json) io.out(JSON.stringify(results));
      else for (const line of formatBench(results)) io.out(line);
    }),
  );

program
  .command("replay")
  .description(
    "drive the pool over a mlx-pool-trace/1 file and report footprint and fresh allocations",
  )
  .argument("<file>", "trace file (JSON, format mlx-pool-trace/1)")
  .option(
    "--policy <name>",
    "size policy (pow2, pow2-div2/4/8/16, or arena); overrides the preset's",
  )
  .addOption(presetOption())
  .option("--warmup-steps <n>", "steps before this index are warm-up", integer(0), 3)
  .option("--json", "print one JSON object")
  .option(
    "--chart <file>",
    "write an SVG chart: held (reserved) bytes under seed, lean, divisions (and --policy) beside live (allocated) bytes, per step",
  )
  .addOption(backendOption())
  .action(
    guarded(
      "replay",
      (
        file: string,
        opts: {
          policy?: string;
          preset: string;
          warmupSteps: number;
          json?: boolean;
          chart?: string;
          backend: "auto";
        },
      ) => {
        replayCommand(file, opts, io);
      },
    ),
  );

// Each subcommand's usage errors end with a hint naming its own help.
for (const sub of program.commands)
  sub.showHelpAfterError(`(mlx-pool ${sub.name()} --help lists its options)`);

try {
  program.parse();
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Commander already printed the message; help and version exit 0.
  process.exitCode = error.exitCode === 0 ? 0 : 2;
}
