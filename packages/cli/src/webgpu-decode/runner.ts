import { WebGpuBufferPool } from "@mlx/webgpu";
import { DecodeSession, LOGIT_TOLERANCE } from "./decode-session.js";
import { GpuModel, type ScratchAllocator } from "./gpu-model.js";
import { DEMO_MODEL, type ModelConfig, randomWeights } from "./model.js";

/** Tokens before this index are warm-up: fresh buffers and timings after it are steady state. */
const WEBGPU_WARMUP_TOKENS = 3;
const DEFAULT_SEED = 0x5eed;

export interface WebGpuDecodeOptions {
  tokens: number;
  seed?: number;
  config?: ModelConfig;
}

export interface WebGpuDecodeResult {
  backend: "webgpu";
  adapter: string;
  tokens: number;
  layers: number;
  /** The greedy tokens, the same for both runs. */
  generated: number[];
  scratchPerToken: number;
  hits: number;
  misses: number;
  hitRate: number;
  freshAfterWarmup: number;
  peakLiveBytes: number;
  peakHeldBytes: number;
  /** Worst relative logit error against the CPU reference, over every token of both runs. */
  maxLogitError: number;
  pooledTokensPerSecond: number;
  directTokensPerSecond: number;
  /** Spread of steady-state token times: [min, max] in ms. */
  pooledTokenMsRange: [number, number];
  directTokenMsRange: [number, number];
  /** Median over steady-state tokens of direct / pooled time of the same token. */
  speedup: number;
}

/** Decodes `tokens` tokens with `scratch`; throws at the first token that fails the check. */
export async function decodeTokens(
  model: GpuModel,
  scratch: ScratchAllocator,
  tokens: number,
  seed: number,
): Promise<DecodeSession> {
  const session = new DecodeSession(
    model,
    randomWeightsCache(model.config, seed),
    scratch,
    seed % model.config.vocab,
  );
  for (let t = 0; t < tokens; t++) await session.step();
  return session;
}

const weightsCache = new Map<string, ReturnType<typeof randomWeights>>();
export function randomWeightsCache(config: ModelConfig, seed: number) {
  const key = `${JSON.stringify(config)}/${seed}`;
  let w = weightsCache.get(key);
  if (w === undefined) {
    w = randomWeights(config, seed);
    weightsCache.set(key, w);
  }
  return w;
}

/** Scratch from a {@link WebGpuBufferPool}, reset once per token. */
function pooledScratch(pool: WebGpuBufferPool): ScratchAllocator {
  return { alloc: (n, usage) => pool.alloc(n, usage).buffer, endToken: () => pool.reset() };
}

/** Scratch from createBuffer, destroyed once per token: what a decode without a pool does. */
function directScratch(device: GPUDevice): ScratchAllocator & { count: number } {
  const live: GPUBuffer[] = [];
  const scratch = {
    count: 0,
    alloc(size: number, usage: number) {
      const buffer = device.createBuffer({ size, usage });
      live.push(buffer);
      scratch.count++;
      return buffer;
    },
    endToken() {
      for (const buffer of live) buffer.destroy();
      live.length = 0;
    },
  };
  return scratch;
}

/** The WGSL decode twice on `device`: scratch from the pool, then from createBuffer/destroy. */
export async function runWebGpuDecode(
  device: GPUDevice,
  adapter: string,
  options: WebGpuDecodeOptions,
): Promise<WebGpuDecodeResult> {
  const config = options.config ?? DEMO_MODEL;
  const seed = options.seed ?? DEFAULT_SEED;
  const tokens = options.tokens;
  if (tokens > config.maxTokens) {
    throw new RangeError(
      `--tokens ${tokens} is more than the demo model's KV cache (${config.maxTokens})`,
    );
  }
  const weights = randomWeightsCache(config, seed);
  // Two copies of the model (weights and KV cache), so both decodes advance in lockstep: token t
  // pooled and token t direct run back to back, in alternating order, and drifts in machine
  // load hit both alike.
  const pooledModel = new GpuModel(device, weights);
  const directModel = new GpuModel(device, weights);
  const pool = new WebGpuBufferPool(device, { label: "mlx-pool demo" });
  const direct = directScratch(device);
  const first = seed % config.vocab;
  const pooled = new DecodeSession(pooledModel, weights, pooledScratch(pool), first);
  const unpooled = new DecodeSession(directModel, weights, direct, first);
  const pooledTokenMs = new Float64Array(tokens);
  const directTokenMs = new Float64Array(tokens);
  device.pushErrorScope("validation");
  try {
    let missesAtWarm = 0;
    for (let t = 0; t < tokens; t++) {
      if (t === WEBGPU_WARMUP_TOKENS) missesAtWarm = pool.stats().misses;
      if (t % 2 === 0) {
        pooledTokenMs[t] = await pooled.step();
        directTokenMs[t] = await unpooled.step();
      } else {
        directTokenMs[t] = await unpooled.step();
        pooledTokenMs[t] = await pooled.step();
      }
      if (pooled.generated[t] !== unpooled.generated[t]) {
        throw new Error(`token ${t}: the pooled and the direct decode chose different tokens`);
      }
    }
    const stats = pool.stats();
    const error = await device.popErrorScope();
    if (error !== null) throw new Error(`WebGPU validation error: ${error.message}`);
    const steady = tokens > WEBGPU_WARMUP_TOKENS ? WEBGPU_WARMUP_TOKENS : 0;
    const pooledMs = summary(pooledTokenMs.subarray(steady));
    const directMs = summary(directTokenMs.subarray(steady));
    const allocations = stats.hits + stats.misses;
    return {
      backend: "webgpu",
      adapter,
      tokens,
      layers: config.layers,
      generated: pooled.generated,
      scratchPerToken: direct.count / tokens,
      hits: stats.hits,
      misses: stats.misses,
      hitRate: allocations === 0 ? 0 : stats.hits / allocations,
      freshAfterWarmup: tokens > WEBGPU_WARMUP_TOKENS ? stats.misses - missesAtWarm : 0,
      peakLiveBytes: stats.peakInUseBytes,
      peakHeldBytes: stats.peakHeldBytes,
      maxLogitError: Math.max(pooled.maxLogitError, unpooled.maxLogitError),
      pooledTokensPerSecond: 1000 / pooledMs.median,
      directTokensPerSecond: 1000 / directMs.median,
      pooledTokenMsRange: [pooledMs.min, pooledMs.max],
      directTokenMsRange: [directMs.min, directMs.max],
      speedup: summary(
        directTokenMs.map((ms, t) => ms / (pooledTokenMs[t] as number)).subarray(steady),
      ).median,
    };
  } finally {
    pool.dispose();
    direct.endToken();
    pooledModel.destroy();
    directModel.destroy();
  }
}

function summary(values: Float64Array): { median: number; min: number; max: number } {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const median =
    n % 2 === 1
      ? (sorted[(n - 1) / 2] as number)
      : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[n - 1] as number };
}

export function formatWebGpuDecode(r: WebGpuDecodeResult): string[] {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const ms = ([a, b]: [number, number]) => `${a.toFixed(2)}-${b.toFixed(2)} ms`;
  return [
    `mlx-pool demo: WGSL decode of ${r.tokens} tokens on WebGPU (${r.adapter}), ${r.layers} layers`,
    `  logits vs CPU      every token within ${LOGIT_TOLERANCE} (worst ${r.maxLogitError.toExponential(2)})`,
    `  tokens             ${r.generated.slice(0, 12).join(" ")}${r.generated.length > 12 ? " ..." : ""}`,
    `  scratch buffers    ${r.scratchPerToken} per token, all from the pool, reset per token`,
    `  hit rate           ${(100 * r.hitRate).toFixed(1)}% (${r.misses} fresh, ${r.freshAfterWarmup} after warm-up)`,
    `  peak held / live   ${kib(r.peakHeldBytes)} / ${kib(r.peakLiveBytes)} (x${(r.peakHeldBytes / Math.max(1, r.peakLiveBytes)).toFixed(2)})`,
    `  pooled             ${r.pooledTokensPerSecond.toFixed(1)} tokens/s (median token after warm-up; range ${ms(r.pooledTokenMsRange)})`,
    `  createBuffer       ${r.directTokensPerSecond.toFixed(1)} tokens/s (range ${ms(r.directTokenMsRange)})`,
    `  pooled is ${r.speedup.toFixed(2)}x as fast per token as createBuffer/destroy per scratch buffer (median of paired tokens)`,
  ];
}
