import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

/** Runs the built `mlx-pool` (turbo builds before testing) with the host backend. */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, MLX_BACKEND: "host", ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
