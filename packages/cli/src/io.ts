/** Where a command writes: injectable so tests can capture output without spawning. */
export interface CommandIO {
  out(line: string): void;
  err(line: string): void;
  /** Whether stderr is an interactive terminal (progress bars only then). */
  errIsTTY: boolean;
  /** Milliseconds a run takes before its progress bar appears (default 1000). */
  progressDelayMs?: number;
}

export const processIO: CommandIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  errIsTTY: process.stderr.isTTY === true,
  progressDelayMs: delayFromEnv(process.env.MLX_POOL_PROGRESS_DELAY_MS),
};

function delayFromEnv(value: string | undefined): number | undefined {
  const ms = Number(value);
  return value === undefined || value === "" || !Number.isFinite(ms) || ms < 0 ? undefined : ms;
}

/** A usage or input error: the CLI prints its message on one line and exits with `exitCode`. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "UsageError";
  }
}
