import { fileURLToPath } from "node:url";

/** The sample trace shipped with the package (a real PyTorch decode capture, DESIGN section 5). */
export const SAMPLE_TRACE_PATH = fileURLToPath(
  new URL("../fixtures/decode-mistral-small.json", import.meta.url),
);
