// Whether alloc's hit path is inlined whole into a caller's step, in every process, and the hit
// path of LeaseIds.alloc into a step by id: runs bench/inlining-probe.mjs under
// --trace-turbo-inlining in several processes and reads which functions TurboFan inlined into
// `decodeStep` and `leaseStep`, with their bytecode sizes, against V8's
// cumulative budget (--max-inlined-bytecode-size-cumulative, 920 bytes on Node 20).
// Run: pnpm turbo run build --filter=@mlx/pool... && node bench/inlining.mjs [--processes 5] [--backend host] [--json]
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { arg, machine } from "./processes.mjs";

/**
 * The hit path: every function a pooled alloc on a hit runs. Sizes are looked up by name, so a
 * name two functions share (checkLength) counts the larger: the sum errs high.
 */
const HOT = [
  "alloc",
  "get disposed",
  "checkLength",
  // DType.is runs only for a dtype other than the last one checked: not on a hit's path.
  "checkDtypeAndShape",
  "acquirePrechecked",
  "takeIndexed",
  "popIndexed",
  "pop",
  "lease",
  "MlxBuffer",
];
/** `LeaseIds.alloc` on a hit, measured in processes of its own. */
const HOT_BY_ID = [
  "alloc",
  "leaseSlot",
  "get disposed",
  "checkLength",
  "acquirePrechecked",
  "takeIndexed",
  "popIndexed",
  "pop",
  "lease",
  "traceAlloc",
];
const BUDGET = 920;
const processes = Number(arg("--processes", "5"));
const backend = arg("--backend", "host");
const probe = fileURLToPath(new URL("./inlining-probe.mjs", import.meta.url));

const runs = [];
for (let p = 0; p < processes; p++) {
  const trace = (mode) => {
    const out = execFileSync(process.execPath, ["--trace-turbo-inlining", probe, backend, mode], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    const sizes = new Map();
    for (const m of out.matchAll(/<SharedFunctionInfo ([^>]+)>}, bytecode size: (\d+)/g))
      sizes.set(m[1], Number(m[2]));
    return { out, sizes };
  };
  const byHandle = trace("handle");
  const byId = trace("id");
  const inlinedInto = (out, step) => {
    const inlined = new Set();
    const pattern = new RegExp(
      `Inlining .*?<SharedFunctionInfo ([^>]+)>} into .*<SharedFunctionInfo ${step}>}`,
      "g",
    );
    for (const m of out.matchAll(pattern)) inlined.add(m[1]);
    return inlined;
  };
  const bytesOf = (sizes, names) => names.reduce((n, name) => n + (sizes.get(name) ?? 0), 0);
  const inlined = inlinedInto(byHandle.out, "decodeStep");
  const inlinedById = inlinedInto(byId.out, "leaseStep");
  runs.push({
    inlined: [...inlined].sort(),
    missing: HOT.filter((name) => !inlined.has(name)),
    hotBytecodeBytes: bytesOf(byHandle.sizes, HOT),
    missingById: HOT_BY_ID.filter((name) => !inlinedById.has(name)),
    hotBytecodeBytesById: bytesOf(byId.sizes, HOT_BY_ID),
  });
}
const summary = {
  machine: machine(),
  backend,
  budget: BUDGET,
  processes,
  hotBytecodeBytes: runs.map((r) => r.hotBytecodeBytes),
  allInlinedInEveryProcess: runs.every((r) => r.missing.length === 0),
  missingPerProcess: runs.map((r) => r.missing),
  hotBytecodeBytesById: runs.map((r) => r.hotBytecodeBytesById),
  allInlinedByIdInEveryProcess: runs.every((r) => r.missingById.length === 0),
};
if (process.argv.includes("--json")) console.log(JSON.stringify({ ...summary, runs }, null, 2));
else {
  console.log(`${summary.machine}; backend ${backend}; ${processes} processes`);
  console.log(
    `hit path bytecode: ${summary.hotBytecodeBytes.join(", ")} bytes; by id ${summary.hotBytecodeBytesById.join(", ")} (V8's cumulative inlining budget ${BUDGET})`,
  );
  for (const [i, r] of runs.entries()) {
    const verdict =
      r.missing.length === 0
        ? "the whole hit path inlined into the step"
        : `not inlined: ${r.missing.join(", ")}`;
    const byId =
      r.missingById.length === 0
        ? "LeaseIds.alloc's whole hit path inlined"
        : `by id not inlined: ${r.missingById.join(", ")}`;
    console.log(`process ${i + 1}: ${verdict}; ${byId}`);
  }
}
