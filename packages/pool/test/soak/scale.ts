/** `MLX_SOAK=full` (pnpm test:soak) runs the full counts; the default is the short CI version. */
export const full = process.env.MLX_SOAK === "full";

export function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc (see vitest.config.ts)");
  gc();
  gc();
}

/** RSS after a full collection, so garbage handles do not hide or fake a leak. */
export function settledRssMiB(): number {
  collect();
  return rssMiB();
}
