// Direct native allocation cost on the host backend: allocBuffer(n) + destroy(), no pool.
// This is the cost a pool hit avoids. Per size: one warm-up batch, then SAMPLES timed
// batches; each sample is the mean ns per alloc+destroy over its batch. Reports the median
// and the 10th/90th percentiles of the samples.
//
//   node bench/direct-alloc.bench.mjs [--json] [--backend host|metal|cuda]
import os from "node:os";
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

function percentile(sorted, p) {
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.round((p / 100) * (sorted.length - 1))),
  );
  return sorted[index];
}

function timeBatch(device, bytes, batch) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) device.allocBuffer(bytes).destroy();
  return Number(process.hrtime.bigint() - start) / batch;
}

const device = openDevice(backend);
const results = CASES.map(({ label, bytes, batch }) => {
  timeBatch(device, bytes, batch); // warm-up: code paths, allocator caches, page tables
  const samples = Array.from({ length: SAMPLES }, () => timeBatch(device, bytes, batch)).sort(
    (a, b) => a - b,
  );
  return {
    size: label,
    bytes,
    batch,
    samples: SAMPLES,
    medianNs: Math.round(percentile(samples, 50)),
    p10Ns: Math.round(percentile(samples, 10)),
    p90Ns: Math.round(percentile(samples, 90)),
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
