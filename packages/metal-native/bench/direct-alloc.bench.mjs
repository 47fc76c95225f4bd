// Direct native allocation cost on the host backend: allocBuffer(n) + destroy(), no pool.
// This is the cost a pool hit avoids. Per size: one warm-up batch, then SAMPLES timed
// batches; each sample is the mean ns per alloc+destroy over its batch. Reports the median
// and the 10th/90th percentiles of the samples (the shared harness, bench/measure.mjs; build
// @mlx/cli first).
//
//   node bench/direct-alloc.bench.mjs [--json] [--backend host|metal|cuda]
import os from "node:os";
import { measure } from "../../../bench/measure.mjs";
import { openDevice } from "../dist/index.js";

const SAMPLES = 15;
const CASES = [
  { label: "4 KiB", bytes: 4 * 1024, batch: 2000 },
  { label: "1 MiB", bytes: 1024 * 1024, batch: 500 },
  { label: "64 MiB", bytes: 64 * 1024 * 1024, batch: 40 },
];

const args = process.argv.slice(2);
const json = args.includes("--json");
const backendIndex = args.indexOf("--backend");
const backend = backendIndex >= 0 ? args[backendIndex + 1] : "host";

function batchSample(device, bytes, batch) {
  return () => {
    for (let i = 0; i < batch; i++) device.allocBuffer(bytes).destroy();
    return batch;
  };
}

const device = openDevice(backend);
const results = CASES.map(({ label, bytes, batch }) => {
  // One warm-up batch: code paths, allocator caches, page tables.
  const m = measure(batchSample(device, bytes, batch), { warmup: 1, samples: SAMPLES });
  return {
    size: label,
    bytes,
    batch,
    samples: SAMPLES,
    medianNs: Math.round(m.median),
    p10Ns: Math.round(m.p10),
    p90Ns: Math.round(m.p90),
  };
});

const machine = {
  backend: device.backend,
  device: device.name,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? "unknown",
  platform: `${os.platform()} ${os.arch()}`,
  node: process.version,
};
device.destroy();

if (json) {
  console.log(JSON.stringify({ benchmark: "direct-alloc", machine, results }, null, 2));
} else {
  console.log(
    `direct allocBuffer + destroy, ${machine.backend} (${machine.device}), ${machine.cpus} x ${machine.cpuModel}, ${machine.platform}, Node ${machine.node}`,
  );
  console.log(`${SAMPLES} samples per size, each the mean of one batch\n`);
  const header = ["size", "batch", "median ns", "p10 ns", "p90 ns"];
  const rows = results.map((r) => [r.size, r.batch, r.medianNs, r.p10Ns, r.p90Ns].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}
