import type { GpuModel, ScratchAllocator } from "./gpu-model.js";
import { argmax, type ModelWeights } from "./model.js";
import { CpuReference } from "./reference.js";

/** Largest |gpu - cpu| a logit may have, relative to the largest |cpu| logit of its token. */
export const LOGIT_TOLERANCE = 1e-3;

/**
 * One greedy decode on the GPU, token by token, each token's logits checked against the CPU
 * reference before the next token is chosen: a scratch buffer aliased while in use would
 * corrupt some token's logits and fail the check.
 */
export class DecodeSession {
  readonly generated: number[] = [];
  maxLogitError = 0;
  private readonly model: GpuModel;
  private readonly scratch: ScratchAllocator;
  private readonly reference: CpuReference;
  private token: number;

  constructor(
    model: GpuModel,
    weights: ModelWeights,
    scratch: ScratchAllocator,
    firstToken: number,
  ) {
    this.model = model;
    this.scratch = scratch;
    this.reference = new CpuReference(weights);
    this.token = firstToken;
  }

  /** Decodes the next token; resolves with the milliseconds the GPU part took (check excluded). */
  async step(): Promise<number> {
    const position = this.generated.length;
    const start = performance.now();
    const readback = this.model.submitToken(this.token, position, this.scratch);
    await readback.mapAsync(GPUMapMode.READ);
    const logits = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    this.scratch.endToken();
    const ms = performance.now() - start;
    const want = this.reference.step(this.token);
    let scale = 0;
    let error = 0;
    for (let i = 0; i < logits.length; i++) {
      scale = Math.max(scale, Math.abs(want[i] as number));
      error = Math.max(error, Math.abs((logits[i] as number) - (want[i] as number)));
    }
    const relative = error / Math.max(scale, 1e-30);
    if (!(relative <= LOGIT_TOLERANCE)) {
      throw new Error(
        `token ${position}: GPU logits differ from the CPU reference by ${relative.toExponential(2)} (tolerance ${LOGIT_TOLERANCE})`,
      );
    }
    this.maxLogitError = Math.max(this.maxLogitError, relative);
    this.token = argmax(logits);
    this.generated.push(this.token);
    return ms;
  }
}
