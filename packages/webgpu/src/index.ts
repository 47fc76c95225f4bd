export type { WebGpuPoolOptions } from "./options.js";
export { BufferUsage } from "./usage.js";
export type { WebGpuBuffer } from "./webgpu-buffer.js";
export { type PoolStats, type ReturnOptions, WebGpuBufferPool } from "./webgpu-buffer-pool.js";
