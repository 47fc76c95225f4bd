// Run by bench/inlining.mjs under --trace-turbo-inlining: the pooled decode step (handles kept),
// hot long enough for TurboFan to optimise `decodeStep` with alloc's call tree inlined into it.
import { DType, MlxBufferPool, MlxDevice } from "../packages/pool/dist/index.js";
import { decodeSizes } from "./trace-sizes.mjs";

const sizes = decodeSizes();
const shapes = sizes.map((n) => [n]);
const held = new Array(sizes.length);
const device = MlxDevice.open({ backend: process.argv[2] ?? "host" });
const pool = new MlxBufferPool();
function decodeStep() {
  for (let i = 0; i < sizes.length; i++)
    held[i] = pool.alloc(device, sizes[i], DType.U8, shapes[i]);
  pool.reset();
}
for (let r = 0; r < 20000; r++) decodeStep();
pool.dispose();
device.dispose();
