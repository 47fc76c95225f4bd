/** Shape of the demo transformer: small enough that lavapipe decodes a token in milliseconds. */
export interface ModelConfig {
  readonly vocab: number;
  readonly dModel: number;
  readonly heads: number;
  readonly ffn: number;
  readonly layers: number;
  /** KV cache length: the most tokens one decode may produce. */
  readonly maxTokens: number;
}

export const DEMO_MODEL: ModelConfig = Object.freeze({
  vocab: 512,
  dModel: 64,
  heads: 4,
  ffn: 192,
  layers: 4,
  maxTokens: 1024,
});

interface LayerWeights {
  readonly attnNorm: Float32Array;
  /** Row-major [out][in] matrices: y[o] = sum_i w[o * in + i] * x[i]. */
  readonly wq: Float32Array;
  readonly wk: Float32Array;
  readonly wv: Float32Array;
  readonly wo: Float32Array;
  readonly mlpNorm: Float32Array;
  readonly wGate: Float32Array;
  readonly wUp: Float32Array;
  readonly wDown: Float32Array;
}

export interface ModelWeights {
  readonly config: ModelConfig;
  /** [vocab][dModel] */
  readonly embedding: Float32Array;
  readonly layers: readonly LayerWeights[];
  readonly finalNorm: Float32Array;
  /** [vocab][dModel] */
  readonly unembedding: Float32Array;
}

/** mulberry32: a tiny seeded generator, so every run (and the reference) sees the same weights. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fixed random weights from `seed`: uniform, scaled by 1/sqrt(fan-in) so activations stay O(1). */
export function randomWeights(config: ModelConfig, seed: number): ModelWeights {
  const next = generator(seed);
  const uniform = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
  const norm = (n: number) => Float32Array.from({ length: n }, () => 0.8 + 0.4 * next());
  const d = config.dModel;
  const inv = (fanIn: number) => Math.sqrt(3 / fanIn);
  const layers = Array.from({ length: config.layers }, () => ({
    attnNorm: norm(d),
    wq: uniform(d * d, inv(d)),
    wk: uniform(d * d, inv(d)),
    wv: uniform(d * d, inv(d)),
    wo: uniform(d * d, inv(d)),
    mlpNorm: norm(d),
    wGate: uniform(config.ffn * d, inv(d)),
    wUp: uniform(config.ffn * d, inv(d)),
    wDown: uniform(d * config.ffn, inv(config.ffn)),
  }));
  return {
    config,
    embedding: uniform(config.vocab * d, 1),
    layers,
    finalNorm: norm(d),
    unembedding: uniform(config.vocab * d, 2 * inv(d)),
  };
}

/** Index of the largest value (the first one on ties): greedy decoding. */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}
