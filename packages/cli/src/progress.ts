import { SingleBar } from "cli-progress";
import type { CommandIO } from "./io.js";

/** A progress bar over one or more phases, each counted in the same unit. */
export interface Progress {
  /** Starts a phase (ending the previous one): `total` of the unit, counted from 0. */
  phase(label: string, total: number): void;
  /** How much of the current phase is done. */
  update(value: number): void;
  /** Ends the current phase at its total. */
  done(): void;
  /** Ends the current phase where it is (an error stopped the run). */
  stop(): void;
}

/** Runs shorter than this draw no bar at all (override: `MLX_POOL_PROGRESS_DELAY_MS`). */
const DEFAULT_PROGRESS_DELAY_MS = 1000;

/**
 * A bar on stderr, only when stderr is a terminal and only once the run has taken longer than
 * `io.progressDelayMs`, so short runs and logs stay clean. Shows `done/total unit` and an ETA.
 */
export function startProgress(io: CommandIO, unit: string): Progress {
  const started = performance.now();
  const delay = io.progressDelayMs ?? DEFAULT_PROGRESS_DELAY_MS;
  let label = "";
  let total = 0;
  let bar: SingleBar | null = null;
  const close = (complete: boolean) => {
    if (bar === null) return;
    if (complete) bar.update(total);
    bar.stop();
    bar = null;
  };
  return {
    phase(name, phaseTotal) {
      close(true);
      label = name;
      total = phaseTotal;
    },
    update(value) {
      if (bar !== null) {
        bar.update(value);
      } else if (io.errIsTTY && performance.now() - started >= delay) {
        bar = new SingleBar({
          format: `${label} {bar} {value}/{total} ${unit} | ETA {eta_formatted}`,
          hideCursor: true,
          etaBuffer: 50,
        });
        bar.start(total, value);
      }
    },
    done: () => close(true),
    stop: () => close(false),
  };
}
