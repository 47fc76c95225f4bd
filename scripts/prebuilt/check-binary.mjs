#!/usr/bin/env node
// Lifecycle check of a prebuilt package, run in its folder.
//   prepublishOnly (--publish): refuses to publish without its mlx_native.node, or with one for
//     another platform (checked from the header of the file: ELF x86-64 / Mach-O arm64).
//   prepack: refuses a binary for another platform; a missing one is only reported, so that
//     `pnpm -r pack` packs the workspace on any machine (the binary of each prebuilt package is
//     built on its own platform). Such a tarball holds no binary and must not be published:
//     prepublishOnly stops that, and scripts/release/publish.sh skips the package in a dry run.
import { readFileSync } from "node:fs";

const manifest = JSON.parse(readFileSync("package.json", "utf8"));
// os and cpu sit in publishConfig, which pnpm copies to the top of the packed manifest: at the
// top in the workspace, pnpm would warn about the other platform's package on every command.
const { os, cpu } = manifest.publishConfig ?? manifest;
const target = `${os[0]}-${cpu[0]}`;
const publishing = process.argv.includes("--publish");
let bytes;
try {
  bytes = readFileSync("mlx_native.node");
} catch {
  const how = `build it on ${target} with \`bash scripts/prebuilt/build.sh ${target}\` (the hosted workflow does this for macOS)`;
  if (publishing) {
    console.error(`${manifest.name}: mlx_native.node is missing; ${how}`);
    process.exit(1);
  }
  console.error(
    `${manifest.name}: skipped the binary: mlx_native.node is missing, so this tarball holds none and cannot be published; ${how}`,
  );
  process.exit(0);
}
const formats = {
  "linux-x64": () =>
    bytes.readUInt32BE(0) === 0x7f454c46 && bytes[4] === 2 && bytes.readUInt16LE(18) === 62,
  "darwin-arm64": () =>
    bytes.readUInt32LE(0) === 0xfeedfacf && bytes.readUInt32LE(4) === 0x0100000c,
};
const check = formats[target];
if (check === undefined || !check()) {
  console.error(`${manifest.name}: mlx_native.node is not a ${target} binary`);
  process.exit(1);
}
console.log(`${manifest.name}: mlx_native.node is a ${target} binary (${bytes.length} bytes)`);
