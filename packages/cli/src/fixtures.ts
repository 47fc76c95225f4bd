import { fileURLToPath } from "node:url";

/** The sample trace shipped with the package: a real PyTorch decode capture, mlx-pool-trace/1. */
export const SAMPLE_TRACE_PATH = fileURLToPath(
  new URL("../fixtures/decode-mistral-small.json", import.meta.url),
);
