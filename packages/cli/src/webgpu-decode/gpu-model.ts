import { compileKernels, dispatch, type Kernels } from "./kernels.js";
import type { ModelConfig, ModelWeights } from "./model.js";

/** GPUBufferUsage values (the global exists only once a WebGPU implementation installed it). */
const USAGE = Object.freeze({
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
});
const SCRATCH = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;
const F32 = 4;

/** Where the decode gets every per-token buffer: the pool, or createBuffer/destroy. */
export interface ScratchAllocator {
  alloc(byteLength: number, usage: number): GPUBuffer;
  /** Called once a token's commands were submitted and its read-back buffer unmapped. */
  endToken(): void;
}

interface LayerBuffers {
  readonly attnNorm: GPUBuffer;
  readonly wq: GPUBuffer;
  readonly wk: GPUBuffer;
  readonly wv: GPUBuffer;
  readonly wo: GPUBuffer;
  readonly mlpNorm: GPUBuffer;
  readonly wGate: GPUBuffer;
  readonly wUp: GPUBuffer;
  readonly wDown: GPUBuffer;
  /** [maxTokens][dModel] each: the KV cache, kept across tokens (not scratch). */
  readonly keys: GPUBuffer;
  readonly values: GPUBuffer;
}

/**
 * The demo transformer on a GPUDevice: weights and KV cache in buffers of their own, every
 * activation in a scratch buffer from the {@link ScratchAllocator}, one submit per token.
 */
export class GpuModel {
  readonly config: ModelConfig;
  private readonly device: GPUDevice;
  private readonly kernels: Kernels;
  private readonly embedding: GPUBuffer;
  private readonly layers: LayerBuffers[];
  private readonly finalNorm: GPUBuffer;
  private readonly unembedding: GPUBuffer;
  private readonly owned: GPUBuffer[] = [];

  constructor(device: GPUDevice, weights: ModelWeights) {
    this.device = device;
    this.config = weights.config;
    this.kernels = compileKernels(device, weights.config);
    const c = weights.config;
    this.embedding = this.upload(weights.embedding, USAGE.STORAGE | USAGE.COPY_SRC);
    this.layers = weights.layers.map((l) => ({
      attnNorm: this.upload(l.attnNorm),
      wq: this.upload(l.wq),
      wk: this.upload(l.wk),
      wv: this.upload(l.wv),
      wo: this.upload(l.wo),
      mlpNorm: this.upload(l.mlpNorm),
      wGate: this.upload(l.wGate),
      wUp: this.upload(l.wUp),
      wDown: this.upload(l.wDown),
      keys: this.persistent(c.maxTokens * c.dModel * F32),
      values: this.persistent(c.maxTokens * c.dModel * F32),
    }));
    this.finalNorm = this.upload(weights.finalNorm);
    this.unembedding = this.upload(weights.unembedding);
  }

  /**
   * Encodes and submits one token at `position` (its K and V land in the cache there); returns
   * the mapped-later read-back buffer holding its logits.
   */
  submitToken(token: number, position: number, scratch: ScratchAllocator): GPUBuffer {
    const { device, kernels: k, config: c } = this;
    const d = c.dModel * F32;
    const s = (bytes: number) => scratch.alloc(bytes, SCRATCH);
    const x = s(d);
    const params = scratch.alloc(16, USAGE.UNIFORM | USAGE.COPY_DST);
    device.queue.writeBuffer(params, 0, new Uint32Array([position + 1, 0, 0, 0]));
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.embedding, token * d, x, 0, d);
    for (const l of this.layers) {
      let pass = encoder.beginComputePass();
      const xn = s(d);
      dispatch(device, pass, k.rmsNorm, [x, l.attnNorm, xn]);
      const q = s(d);
      const key = s(d);
      const value = s(d);
      dispatch(device, pass, k.qkvo, [l.wq, xn, q]);
      dispatch(device, pass, k.qkvo, [l.wk, xn, key]);
      dispatch(device, pass, k.qkvo, [l.wv, xn, value]);
      pass.end();
      encoder.copyBufferToBuffer(key, 0, l.keys, position * d, d);
      encoder.copyBufferToBuffer(value, 0, l.values, position * d, d);
      pass = encoder.beginComputePass();
      const att = s(d);
      dispatch(device, pass, k.attention, [q, l.keys, l.values, att, params]);
      const o = s(d);
      dispatch(device, pass, k.qkvo, [l.wo, att, o]);
      dispatch(device, pass, k.residual, [x, o]);
      const xn2 = s(d);
      dispatch(device, pass, k.rmsNorm, [x, l.mlpNorm, xn2]);
      const gate = s(c.ffn * F32);
      const up = s(c.ffn * F32);
      dispatch(device, pass, k.upProj, [l.wGate, xn2, gate]);
      dispatch(device, pass, k.upProj, [l.wUp, xn2, up]);
      const hidden = s(c.ffn * F32);
      dispatch(device, pass, k.siluMul, [gate, up, hidden]);
      const down = s(d);
      dispatch(device, pass, k.downProj, [l.wDown, hidden, down]);
      dispatch(device, pass, k.residual, [x, down]);
      pass.end();
    }
    const pass = encoder.beginComputePass();
    const xf = s(d);
    dispatch(device, pass, k.rmsNorm, [x, this.finalNorm, xf]);
    const logits = s(c.vocab * F32);
    dispatch(device, pass, k.unembed, [this.unembedding, xf, logits]);
    pass.end();
    const readback = scratch.alloc(c.vocab * F32, USAGE.MAP_READ | USAGE.COPY_DST);
    encoder.copyBufferToBuffer(logits, 0, readback, 0, c.vocab * F32);
    device.queue.submit([encoder.finish()]);
    return readback;
  }

  destroy(): void {
    for (const buffer of this.owned) buffer.destroy();
    this.owned.length = 0;
  }

  private upload(data: Float32Array, usage: number = USAGE.STORAGE): GPUBuffer {
    const buffer = this.device.createBuffer({
      size: data.byteLength,
      usage: usage | USAGE.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, data);
    this.owned.push(buffer);
    return buffer;
  }

  private persistent(byteLength: number): GPUBuffer {
    const buffer = this.device.createBuffer({ size: byteLength, usage: SCRATCH });
    this.owned.push(buffer);
    return buffer;
  }
}
