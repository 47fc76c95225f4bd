#!/usr/bin/env node
// prepack of a prebuilt package: refuses to pack (or publish) without its mlx_native.node, or with
// one for another platform (checked from the file's header: ELF x86-64 / Mach-O arm64).
// Run in the package's folder.
import { readFileSync } from "node:fs";

const manifest = JSON.parse(readFileSync("package.json", "utf8"));
const target = `${manifest.os[0]}-${manifest.cpu[0]}`;
let bytes;
try {
  bytes = readFileSync("mlx_native.node");
} catch {
  console.error(
    `${manifest.name}: mlx_native.node is missing; build it on ${target} with ` +
      `\`bash scripts/prebuilt/build.sh ${target}\` (the hosted workflow does this for macOS)`,
  );
  process.exit(1);
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
