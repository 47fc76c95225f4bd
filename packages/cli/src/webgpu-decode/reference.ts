import type { ModelWeights } from "./model.js";

/**
 * The same decode on the CPU, in float64: what every GPU token's logits are checked against. It
 * keeps its own KV cache; `step(token)` appends one position and returns that position's logits.
 */
export class CpuReference {
  private readonly w: ModelWeights;
  private readonly keys: Float64Array[];
  private readonly values: Float64Array[];
  private position = 0;

  constructor(weights: ModelWeights) {
    this.w = weights;
    const c = weights.config;
    this.keys = weights.layers.map(() => new Float64Array(c.maxTokens * c.dModel));
    this.values = weights.layers.map(() => new Float64Array(c.maxTokens * c.dModel));
  }

  step(token: number): Float64Array {
    const c = this.w.config;
    const d = c.dModel;
    const headDim = d / c.heads;
    const t = this.position++;
    const x = Float64Array.from(this.w.embedding.subarray(token * d, (token + 1) * d));
    for (const [l, layer] of this.w.layers.entries()) {
      const xn = rmsNorm(x, layer.attnNorm);
      const q = matVec(layer.wq, xn, d);
      const kCache = this.keys[l] as Float64Array;
      const vCache = this.values[l] as Float64Array;
      kCache.set(matVec(layer.wk, xn, d), t * d);
      vCache.set(matVec(layer.wv, xn, d), t * d);
      const att = new Float64Array(d);
      const scale = 1 / Math.sqrt(headDim);
      for (let h = 0; h < c.heads; h++) {
        const scores = new Float64Array(t + 1);
        let max = Number.NEGATIVE_INFINITY;
        for (let p = 0; p <= t; p++) {
          let s = 0;
          for (let j = 0; j < headDim; j++)
            s += (q[h * headDim + j] as number) * (kCache[p * d + h * headDim + j] as number);
          scores[p] = s * scale;
          max = Math.max(max, s * scale);
        }
        let den = 0;
        for (let p = 0; p <= t; p++) {
          scores[p] = Math.exp((scores[p] as number) - max);
          den += scores[p] as number;
        }
        for (let j = 0; j < headDim; j++) {
          let acc = 0;
          for (let p = 0; p <= t; p++)
            acc += (scores[p] as number) * (vCache[p * d + h * headDim + j] as number);
          att[h * headDim + j] = acc / den;
        }
      }
      addInPlace(x, matVec(layer.wo, att, d));
      const xn2 = rmsNorm(x, layer.mlpNorm);
      const gate = matVec(layer.wGate, xn2, c.ffn);
      const up = matVec(layer.wUp, xn2, c.ffn);
      const hidden = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (up[i] as number));
      addInPlace(x, matVec(layer.wDown, hidden, d));
    }
    return matVec(this.w.unembedding, rmsNorm(x, this.w.finalNorm), c.vocab);
  }
}

export const RMS_EPSILON = 1e-5;

function rmsNorm(x: Float64Array, weight: Float32Array): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + RMS_EPSILON);
  return x.map((v, i) => v * r * (weight[i] as number));
}

function matVec(w: Float32Array, x: Float64Array, out: number): Float64Array {
  const n = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += (w[o * n + i] as number) * (x[i] as number);
    y[o] = acc;
  }
  return y;
}

function addInPlace(x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + (y[i] as number);
}
