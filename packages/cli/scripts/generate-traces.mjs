#!/usr/bin/env node
// Synthesizes mlx-pool-trace/1 decode traces that are hard for power-of-two buckets: model
// dimensions that are not powers of two (so large buffers land just above 2^k), prefill and
// decode sizes in different classes, and KV caches that grow by one token per step (a new,
// larger buffer is allocated and the old one freed, as torch.cat does in a dynamic cache).
//
// Usage: node scripts/generate-traces.mjs [OUT_DIR]   (default fixtures/synthetic)
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Models to generate; small enough to keep as test fixtures. */
export const MODELS = [
  {
    name: "wide-ffn",
    layers: 4,
    hidden: 2304,
    heads: 18,
    kvHeads: 6,
    ffn: 9216,
    vocab: 49152,
    prompt: 96,
    decode: 12,
  },
  {
    name: "long-prompt",
    layers: 4,
    hidden: 1536,
    heads: 12,
    kvHeads: 2,
    ffn: 4480,
    vocab: 36000,
    prompt: 700,
    decode: 12,
  },
  {
    name: "odd-dims",
    layers: 3,
    hidden: 2816,
    heads: 22,
    kvHeads: 22,
    ffn: 7616,
    vocab: 50257,
    prompt: 160,
    decode: 12,
  },
  {
    name: "small-prompt",
    layers: 4,
    hidden: 1152,
    heads: 9,
    kvHeads: 3,
    ffn: 3456,
    vocab: 65000,
    prompt: 24,
    decode: 16,
  },
];

const BLOCK = 512; // PyTorch's caching allocator rounds every request to 512 bytes

/** Builds one trace: step 0 the prefill, then one step per decoded token. */
export function generateTrace(model) {
  const headDim = model.hidden / model.heads;
  let nextId = 0;
  const steps = [];
  let ops = [];
  const live = new Set();
  const alloc = (bytes) => {
    const id = nextId++;
    ops.push(["a", id, Math.ceil(bytes / BLOCK) * BLOCK]);
    live.add(id);
    return id;
  };
  const free = (...ids) => {
    for (const id of ids) {
      ops.push(["f", id]);
      live.delete(id);
    }
  };
  const kv = Array.from({ length: model.layers }, () => ({ k: -1, v: -1 }));
  let context = 0;
  for (let step = 0; step <= model.decode; step++) {
    ops = [];
    const t = step === 0 ? model.prompt : 1;
    const ctx = context + t;
    let hidden = alloc(t * model.hidden * 2); // embedding output, bf16
    for (const cache of kv) {
      const normed = alloc(t * model.hidden * 2);
      const q = alloc(t * model.hidden * 2);
      const k = alloc(t * model.kvHeads * headDim * 2);
      const v = alloc(t * model.kvHeads * headDim * 2);
      free(normed);
      // grow the cache: new buffer one step larger, old one freed (torch.cat)
      const kCache = alloc(ctx * model.kvHeads * headDim * 2);
      if (cache.k >= 0) free(cache.k);
      const vCache = alloc(ctx * model.kvHeads * headDim * 2);
      if (cache.v >= 0) free(cache.v);
      cache.k = kCache;
      cache.v = vCache;
      free(k, v);
      const scores = alloc(t * model.heads * ctx * 4); // fp32 attention scores
      const probs = alloc(t * model.heads * ctx * 2);
      free(scores);
      const attn = alloc(t * model.hidden * 2);
      free(probs, q);
      const projected = alloc(t * model.hidden * 2);
      free(attn);
      const residual = alloc(t * model.hidden * 2);
      free(projected, hidden);
      const normed2 = alloc(t * model.hidden * 2);
      const gate = alloc(t * model.ffn * 2);
      const up = alloc(t * model.ffn * 2);
      free(normed2);
      const act = alloc(t * model.ffn * 2);
      free(gate, up);
      const down = alloc(t * model.hidden * 2);
      free(act);
      hidden = alloc(t * model.hidden * 2);
      free(down, residual);
    }
    const logits = alloc(t * model.vocab * 4); // fp32 logits of every position
    free(hidden);
    const last = alloc(model.vocab * 4);
    free(logits);
    const token = alloc(8);
    free(last, token);
    context = ctx;
    steps.push(ops);
  }
  return {
    format: "mlx-pool-trace/1",
    description: `Synthetic decode (scripts/generate-traces.mjs): ${JSON.stringify(model)}; sizes rounded to 512 bytes; KV caches grow one token per step.`,
    steps,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? "fixtures/synthetic";
  mkdirSync(out, { recursive: true });
  for (const model of MODELS) {
    const file = join(out, `${model.name}.json`);
    writeFileSync(file, `${JSON.stringify(generateTrace(model))}\n`);
    console.log(file);
  }
}
