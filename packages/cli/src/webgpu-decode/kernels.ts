import type { ModelConfig } from "./model.js";
import { RMS_EPSILON } from "./reference.js";

/** One workgroup of 64 invocations; every kernel guards its tail. */
const WG = 64;

const RMS_NORM = /* wgsl */ `
override N: u32;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= N) { return; }
  // Each invocation sums the squares itself: N is small, and no barrier is needed.
  var ss = 0.0;
  for (var i = 0u; i < N; i++) { ss += x[i] * x[i]; }
  y[id.x] = x[id.x] * inverseSqrt(ss / f32(N) + ${RMS_EPSILON}) * weight[id.x];
}`;

const MAT_VEC = /* wgsl */ `
override IN: u32;
override OUT: u32;
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= OUT) { return; }
  var acc = 0.0;
  let row = id.x * IN;
  for (var i = 0u; i < IN; i++) { acc += w[row + i] * x[i]; }
  y[id.x] = acc;
}`;

const ADD_IN_PLACE = /* wgsl */ `
override N: u32;
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < N) { x[id.x] += y[id.x]; }
}`;

const SILU_MUL = /* wgsl */ `
override N: u32;
@group(0) @binding(0) var<storage, read> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
@group(0) @binding(2) var<storage, read_write> h: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= N) { return; }
  let g = gate[id.x];
  h[id.x] = g / (1.0 + exp(-g)) * up[id.x];
}`;

/** One invocation per output element (head h, lane j): scores, softmax and the weighted sum. */
const ATTENTION = /* wgsl */ `
override D: u32;
override HEAD_DIM: u32;
struct Params { positions: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> keys: array<f32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= D) { return; }
  let base = (id.x / HEAD_DIM) * HEAD_DIM;
  let scale = inverseSqrt(f32(HEAD_DIM));
  var m = -3.0e38;
  for (var p = 0u; p < params.positions; p++) {
    var s = 0.0;
    for (var j = 0u; j < HEAD_DIM; j++) { s += q[base + j] * keys[p * D + base + j]; }
    m = max(m, s * scale);
  }
  var den = 0.0;
  var acc = 0.0;
  for (var p = 0u; p < params.positions; p++) {
    var s = 0.0;
    for (var j = 0u; j < HEAD_DIM; j++) { s += q[base + j] * keys[p * D + base + j]; }
    let e = exp(s * scale - m);
    den += e;
    acc += e * values[p * D + id.x];
  }
  out[id.x] = acc / den;
}`;

/** A compiled kernel and how many invocations it runs. */
export interface Kernel {
  readonly pipeline: GPUComputePipeline;
  readonly invocations: number;
}

/** Every pipeline the decode dispatches, specialised to the model's shapes. */
export interface Kernels {
  readonly rmsNorm: Kernel;
  readonly qkvo: Kernel;
  readonly upProj: Kernel;
  readonly downProj: Kernel;
  readonly unembed: Kernel;
  readonly residual: Kernel;
  readonly siluMul: Kernel;
  readonly attention: Kernel;
}

export function compileKernels(device: GPUDevice, c: ModelConfig): Kernels {
  const make = (code: string, constants: Record<string, number>, invocations: number): Kernel => ({
    pipeline: device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code }), entryPoint: "main", constants },
    }),
    invocations,
  });
  const d = c.dModel;
  return {
    rmsNorm: make(RMS_NORM, { N: d }, d),
    qkvo: make(MAT_VEC, { IN: d, OUT: d }, d),
    upProj: make(MAT_VEC, { IN: d, OUT: c.ffn }, c.ffn),
    downProj: make(MAT_VEC, { IN: c.ffn, OUT: d }, d),
    unembed: make(MAT_VEC, { IN: d, OUT: c.vocab }, c.vocab),
    residual: make(ADD_IN_PLACE, { N: d }, d),
    siluMul: make(SILU_MUL, { N: c.ffn }, c.ffn),
    attention: make(ATTENTION, { D: d, HEAD_DIM: d / c.heads }, d),
  };
}

/** Encodes one dispatch of `kernel` over `buffers`, bound in order from binding 0. */
export function dispatch(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  kernel: Kernel,
  buffers: readonly GPUBuffer[],
): void {
  pass.setPipeline(kernel.pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: kernel.pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    }),
  );
  pass.dispatchWorkgroups(Math.ceil(kernel.invocations / WG));
}
