// Builds another git revision's TypeScript packages (errors, bucket-pool, residency,
// metal-native, pool) from `git archive` into a folder, for side-by-side benchmarks against
// this checkout. The native addon stays this checkout's (MLX_NATIVE_ADDON).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Builds the TypeScript packages of `rev` into a temporary folder; returns its pool entry. */
export function buildRevision(rev, work) {
  const archive = execFileSync("git", ["archive", rev, "packages", "tsconfig.base.json"], {
    cwd: root,
    maxBuffer: 1 << 30,
  });
  execFileSync("tar", ["-x", "-C", work], { input: archive });
  mkdirSync(join(work, "node_modules/@mlx"), { recursive: true });
  symlinkSync(join(root, "node_modules/@types"), join(work, "node_modules/@types"));
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  // Dependency order; a package the revision lacks is skipped.
  for (const name of ["errors", "bucket-pool", "residency", "metal-native", "pool"]) {
    const dir = join(work, "packages", name);
    if (!existsSync(dir)) continue;
    symlinkSync(dir, join(work, "node_modules/@mlx", name));
    execFileSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.build.json")]);
  }
  return join(work, "packages/pool/dist/index.js");
}
