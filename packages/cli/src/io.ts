/** Where a command writes: injectable so tests can capture output without spawning. */
export interface CommandIO {
  out(line: string): void;
  err(line: string): void;
  /** Whether stderr is an interactive terminal (progress bars only then). */
  errIsTTY: boolean;
}

export const processIO: CommandIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  errIsTTY: process.stderr.isTTY === true,
};

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
