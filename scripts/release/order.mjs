#!/usr/bin/env node
// Prints the workspace's publishable packages in dependency order, one per line:
// `<name> <version> <dir>`. Computed from packages/*/package.json: a package comes after every
// workspace package it depends on (dependencies, peer and optional dependencies); among packages
// ready at the same time, the one with fewer dependencies goes first (pure before native), then
// by name. `--names` prints names only.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const packagesDir = join(root, "packages");

const pkgs = new Map();
for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
  if (!entry.isDirectory()) continue;
  const dir = join(packagesDir, entry.name);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  } catch {
    continue;
  }
  if (manifest.private) continue;
  const deps = {
    ...manifest.dependencies,
    ...manifest.peerDependencies,
    ...manifest.optionalDependencies,
  };
  pkgs.set(manifest.name, { name: manifest.name, version: manifest.version, dir, deps });
}

const internal = (pkg) => Object.keys(pkg.deps).filter((d) => pkgs.has(d));
const order = [];
const done = new Set();
while (done.size < pkgs.size) {
  const ready = [...pkgs.values()]
    .filter((p) => !done.has(p.name) && internal(p).every((d) => done.has(d)))
    .sort(
      (a, b) =>
        Object.keys(a.deps).length - Object.keys(b.deps).length || a.name.localeCompare(b.name),
    );
  if (ready.length === 0) {
    const left = [...pkgs.keys()].filter((n) => !done.has(n));
    console.error(`dependency cycle among: ${left.join(", ")}`);
    process.exit(1);
  }
  order.push(ready[0]);
  done.add(ready[0].name);
}

for (const p of order) {
  console.log(
    process.argv.includes("--names") ? p.name : `${p.name} ${p.version} ${relative(root, p.dir)}`,
  );
}
