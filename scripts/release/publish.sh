#!/usr/bin/env bash
# Publish every public workspace package to npm in dependency order (scripts/release/order.mjs:
# bucket-pool, residency, metal-native, pool, cli today). Dry run unless --really is given.
#   1. build (pnpm turbo run build) and test (pnpm turbo run test; --skip-tests to skip)
#   2. for each package in order: pnpm publish --access public --no-git-checks [--dry-run]
#      pnpm rewrites workspace:^ ranges to the released versions while packing.
# With --really, a version already on the registry is skipped, so a publish that failed midway
# can be rerun. Run `pnpm changeset version` (and commit) first: see the root README, "Release".
# Usage: bash scripts/release/publish.sh [--really] [--skip-tests] [--tag TAG]
set -euo pipefail
cd "$(dirname "$0")/../.."

REALLY=0
TESTS=1
TAG=latest
while [ $# -gt 0 ]; do
  case "$1" in
    --really) REALLY=1 ;;
    --dry-run) REALLY=0 ;;
    --skip-tests) TESTS=0 ;;
    --tag)
      TAG=$2
      shift
      ;;
    *)
      echo "usage: $0 [--really] [--skip-tests] [--tag TAG]" >&2
      exit 2
      ;;
  esac
  shift
done

if ls .changeset/*.md 2>/dev/null | grep -qv '/README.md$'; then
  echo "warning: unreleased changesets in .changeset/ (run \`pnpm changeset version\` first):" >&2
  ls .changeset/*.md | grep -v '/README.md$' | sed 's/^/  /' >&2
  [ "$REALLY" = 1 ] && {
    echo "refusing to publish with pending changesets" >&2
    exit 1
  }
fi

echo "== build"
pnpm exec turbo run build
if [ "$TESTS" = 1 ]; then
  echo "== test"
  pnpm exec turbo run test
fi

mapfile -t ORDER < <(node scripts/release/order.mjs)
echo "== publish order"
printf '  %s\n' "${ORDER[@]}"

for line in "${ORDER[@]}"; do
  read -r name version dir <<<"$line"
  if [ "$REALLY" = 1 ] && npm view "$name@$version" version >/dev/null 2>&1; then
    echo "== $name@$version is already on the registry: skipped"
    continue
  fi
  # Prebuilt packages (os/cpu fields, in publishConfig) need their mlx_native.node, built on their own platform
  # (scripts/prebuilt/; the hosted release workflow builds and publishes darwin-arm64): a dry run
  # skips one without it, a real publish stops (its prepack check refuses to pack it anyway).
  if [ -f "$dir/package.json" ] && node -e 'const j = require(process.argv[1]); process.exit(j.publishConfig?.os ?? j.os ? 0 : 1)' "$PWD/$dir/package.json" &&
    [ ! -f "$dir/mlx_native.node" ]; then
    if [ "$REALLY" = 1 ]; then
      echo "== $name@$version: $dir/mlx_native.node is missing (build it on its platform: scripts/prebuilt/)" >&2
      exit 1
    fi
    echo "== $name@$version: skipped in the dry run, no $dir/mlx_native.node (built on its own platform)"
    continue
  fi
  args=(--access public --no-git-checks --tag "$TAG")
  [ "$REALLY" = 1 ] || args+=(--dry-run)
  echo "== $name@$version ($dir): pnpm publish ${args[*]}"
  (cd "$dir" && pnpm publish "${args[@]}")
done

if [ "$REALLY" = 1 ]; then
  echo "published. Tag the release: git tag -a v<version> (or one tag per package) and push."
else
  echo "dry run: nothing was published. Pass --really to publish."
fi
