#!/usr/bin/env bash
# Show what `pnpm changeset version` would do, without touching this tree: it runs in a
# throw-away clone (committed files plus this tree's .changeset/ folder, so uncommitted
# changesets count) and prints each package's version bump, the dependency ranges it rewrote and
# the head of every CHANGELOG.md. Also prints `pnpm changeset status` for this tree.
# Usage: bash scripts/release/version-dry-run.sh [--keep]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

echo "== pnpm changeset status"
pnpm exec changeset status --verbose || echo "(changeset status exited $?)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlx-version-dry-run.XXXXXX")
[ "${1:-}" = "--keep" ] && trap 'echo "kept $TMP"' EXIT || trap 'rm -rf "$TMP"' EXIT
git clone -q "$ROOT" "$TMP/repo"
rm -rf "$TMP/repo/.changeset"
cp -r "$ROOT/.changeset" "$TMP/repo/.changeset"
ln -s "$ROOT/node_modules" "$TMP/repo/node_modules" # the changesets CLI, nothing else
(cd "$TMP/repo" && git add -A .changeset && git -c user.name=dry -c user.email=dry@run commit -qm "dry run: changesets" --allow-empty)

echo
echo "== pnpm changeset version (in $TMP/repo)"
(cd "$TMP/repo" && "$ROOT/node_modules/.bin/changeset" version)

echo
echo "== versions"
cd "$TMP/repo"
for manifest in packages/*/package.json; do
  node -e '
    const { execFileSync } = require("node:child_process");
    const [file] = process.argv.slice(1);
    const now = require("./" + file);
    const before = JSON.parse(execFileSync("git", ["show", `HEAD:${file}`], { encoding: "utf8" }));
    if (now.private) process.exit(0);
    const mark = before.version === now.version ? "(unchanged)" : "";
    console.log(`${now.name.padEnd(20)} ${before.version} -> ${now.version} ${mark}`);
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
      for (const [dep, range] of Object.entries(now[field] ?? {})) {
        const old = before[field]?.[dep];
        if (old !== range) console.log(`${"".padEnd(20)}   ${field}.${dep}: ${old} -> ${range}`);
      }
    }' "$manifest"
done

echo
echo "== changed files"
git status --short -- . ":(exclude)node_modules"

for log in packages/*/CHANGELOG.md; do
  [ -f "$log" ] || continue
  echo
  echo "== $log (head)"
  head -n 14 "$log"
done
