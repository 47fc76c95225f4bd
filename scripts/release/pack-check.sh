#!/usr/bin/env bash
# Pack every publishable package the way `pnpm publish` would, install the tarballs with plain
# npm into fresh directories outside the workspace, and use them as a consumer would:
#   tarballs   contents (dist, README, native sources), no workspace: ranges, no build/ or tests
#   engines    engines.node is the same everywhere and this Node satisfies it
#   bucket-pool, residency, webgpu   import and work with no compiler and no addon installed
#   pool       loading before the addon is built fails with the "how to build" message; after
#              the documented build step the README's example runs
#   cli        after the same build step, `npx mlx-pool info` runs
# Prints one PASS/FAIL line per check and exits non-zero when any failed.
# Usage: bash scripts/release/pack-check.sh [--no-build] [--keep]
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

BUILD=1
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    *)
      echo "usage: $0 [--no-build] [--keep]" >&2
      exit 2
      ;;
  esac
done

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_loglevel=error

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlx-pack-check.XXXXXX")
case "$WORK" in "$ROOT"/*)
  echo "FAIL: temp dir $WORK is inside the workspace" >&2
  exit 1
  ;;
esac
cleanup() { if [ "$KEEP" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

FAILED=0
pass() { echo "PASS $1"; }
fail() {
  echo "FAIL $1"
  shift
  for line in "$@"; do echo "     $line"; done
  FAILED=$((FAILED + 1))
}

# ---- build and pack -----------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  if pnpm exec turbo run build --output-logs=errors-only >"$WORK/build.log" 2>&1; then
    pass "build: pnpm turbo run build"
  else
    tail -40 "$WORK/build.log"
    fail "build: pnpm turbo run build" "log above"
    exit 1
  fi
fi

PACK="$WORK/tarballs"
mkdir -p "$PACK"
PACKAGES=(errors bucket-pool residency metal-native pool webgpu cli)
declare -A TGZ
for p in "${PACKAGES[@]}"; do
  if ! (cd "packages/$p" && pnpm pack --pack-destination "$PACK" >"$WORK/pack-$p.log" 2>&1); then
    cat "$WORK/pack-$p.log"
    fail "pack: @mlx/$p" "pnpm pack failed"
    exit 1
  fi
  TGZ[$p]=$(ls "$PACK"/mlx-"$p"-*.tgz)
done

# ---- tarball contents ------------------------------------------------------------------------
MAX_TGZ_BYTES=$((512 * 1024))
for p in "${PACKAGES[@]}"; do
  tgz=${TGZ[$p]}
  list=$(tar tzf "$tgz")
  problems=()
  need=(package/package.json package/README.md package/dist/index.js package/dist/index.d.ts)
  case "$p" in
    metal-native) need+=(package/CMakeLists.txt package/src/native/addon.cpp package/src/native/backend.h) ;;
    cli) need+=(package/dist/bin.js package/trace-schema.json) ;;
  esac
  for f in "${need[@]}"; do grep -qx "$f" <<<"$list" || problems+=("missing $f"); done
  bad=$(grep -E '^package/(build|build-[^/]*|test|bench|node_modules|\.turbo)/|\.test\.|\.node$|tsconfig' <<<"$list" | head -5)
  [ -z "$bad" ] || problems+=("unwanted: $(tr '\n' ' ' <<<"$bad")")
  size=$(stat -c %s "$tgz")
  [ "$size" -le "$MAX_TGZ_BYTES" ] || problems+=("$size bytes > $MAX_TGZ_BYTES")
  manifest=$(tar xzf "$tgz" -O package/package.json)
  grep -q '"workspace:' <<<"$manifest" && problems+=("package.json still has workspace: ranges")
  grep -q '"devDependencies"' <<<"$manifest" && grep -q '"@mlx/' <<<"$(node -e 'const j=JSON.parse(process.argv[1]);console.log(JSON.stringify(j.devDependencies||{}))' "$manifest")" &&
    problems+=("@mlx packages in devDependencies")
  files=$(wc -l <<<"$list")
  if [ ${#problems[@]} -eq 0 ]; then
    pass "tarball: $(basename "$tgz") ($size bytes, $files files)"
  else
    fail "tarball: $(basename "$tgz")" "${problems[@]}"
  fi
done

# ---- engines ---------------------------------------------------------------------------------
if out=$(node - "$PACK" <<'EOF' 2>&1
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const dir = process.argv[2];
const ranges = new Set();
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".tgz"))) {
  const j = JSON.parse(execFileSync("tar", ["xzf", `${dir}/${f}`, "-O", "package/package.json"]));
  ranges.add(j.engines?.node ?? "(none)");
}
const [range, ...more] = [...ranges];
if (more.length) throw new Error(`engines.node differs between packages: ${[...ranges].join(", ")}`);
const m = /^>=(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range);
if (!m) throw new Error(`engines.node is ${range}, expected >=MAJOR.MINOR`);
const want = [m[1], m[2], m[3] ?? 0].map(Number);
const have = process.versions.node.split(".").map(Number);
const cmp = have[0] - want[0] || have[1] - want[1] || have[2] - want[2];
if (cmp < 0) throw new Error(`node ${process.versions.node} does not satisfy ${range}`);
console.log(`engines.node ${range} in every package; node ${process.versions.node} satisfies it`);
EOF
); then pass "engines: $out"; else fail "engines" "$out"; fi

# ---- helpers ---------------------------------------------------------------------------------
# fresh_project DIR TARBALL...: npm init + npm install of the given tarballs only.
fresh_project() {
  local dir=$1
  shift
  mkdir -p "$dir"
  (cd "$dir" && npm init -y >/dev/null && npm install "$@" >"$dir/npm-install.log" 2>&1)
}
# from_tarballs DIR NAME...: each @mlx/NAME in DIR was installed from our tarball (file:), not from
# the registry.
from_tarballs() {
  local dir=$1
  shift
  node -e '
    const lock = require(process.argv[1] + "/package-lock.json").packages;
    for (const name of process.argv.slice(2)) {
      const entry = lock[`node_modules/@mlx/${name}`];
      if (!entry) throw new Error(`@mlx/${name} not installed`);
      if (!String(entry.resolved).startsWith("file:")) throw new Error(`@mlx/${name} came from ${entry.resolved}`);
    }' "$dir" "$@"
}
# no_native DIR: nothing native-related got installed.
no_native() {
  local found=()
  for d in @mlx/metal-native node-addon-api cmake-js node-api-headers; do
    [ -e "$1/node_modules/$d" ] && found+=("$d")
  done
  if [ ${#found[@]} -ne 0 ]; then
    echo "installed: ${found[*]}"
    return 1
  fi
  echo "no metal-native, node-addon-api, cmake-js or node-api-headers in node_modules ($(find "$1/node_modules" -name package.json -path '*/node_modules/*/package.json' -not -path '*/node_modules/*/node_modules/*' | wc -l) packages)"
}
# readme_example PKGDIR OUT: the first ```js block of the installed README, verbatim.
readme_example() {
  node -e '
    const text = require("node:fs").readFileSync(process.argv[1], "utf8");
    const m = /```js\n([\s\S]*?)```/.exec(text);
    if (!m) { console.error("no ```js block in " + process.argv[1]); process.exit(1); }
    require("node:fs").writeFileSync(process.argv[2], m[1]);' "$1/README.md" "$2"
}

# ---- a. @mlx/bucket-pool alone -----------------------------------------------------------------
A="$WORK/consumer-bucket-pool"
if fresh_project "$A" "${TGZ[bucket-pool]}" "${TGZ[errors]}" && from_tarballs "$A" bucket-pool errors; then
  cat >"$A/use.mjs" <<'EOF'
import assert from "node:assert/strict";
import { BucketPool, Lease, MlxError, bucketSize } from "@mlx/bucket-pool";

assert.equal(bucketSize(0), 1);
assert.equal(bucketSize(1000), 1024);
assert.equal(bucketSize(1025), 2048);
let made = 0;
const pool = new BucketPool({
  allocate: (capacity) => ({ id: ++made, bytes: new Uint8Array(capacity) }),
  destroy: (handle) => handle.bytes.fill(0),
});
const a = new Lease(pool, 1000);
assert.equal(a.capacity, 1024);
pool.reset();
const b = new Lease(pool, 700);
assert.equal(a.stale, true);
assert.equal(b.handle.id, 1);
assert.equal(made, 1);
assert.throws(() => bucketSize(-1), (e) => e instanceof MlxError && e.code === "INVALID_ARGUMENT");
console.log(`bucketSize(1000)=${bucketSize(1000)} reused=${b.handle.id === 1} stale=${a.stale}`);
EOF
  if out=$(cd "$A" && node use.mjs 2>&1) && nn=$(no_native "$A"); then
    pass "bucket-pool: npm install of the tarball alone; $out; $nn"
  else
    fail "bucket-pool: use from a plain npm project" "$out" "${nn:-}"
  fi
  readme_example "$A/node_modules/@mlx/bucket-pool" "$A/readme.mjs"
  if out=$(cd "$A" && node readme.mjs 2>&1) && grep -q "1024 2048" <<<"$out"; then
    pass "bucket-pool: README example runs from the installed package"
  else
    fail "bucket-pool: README example" "$out"
  fi
else
  fail "bucket-pool: npm install" "$(tail -20 "$A/npm-install.log" 2>/dev/null)"
fi

# ---- a2. @mlx/webgpu (+ bucket-pool, errors): no addon, no Dawn, works on any GPUDevice ------
W="$WORK/consumer-webgpu"
if fresh_project "$W" "${TGZ[webgpu]}" "${TGZ[bucket-pool]}" "${TGZ[errors]}" && from_tarballs "$W" webgpu bucket-pool errors; then
  cat >"$W/use.mjs" <<'EOF'
import assert from "node:assert/strict";
import { BufferUsage, WebGpuBufferPool } from "@mlx/webgpu";

// A stand-in GPUDevice: the package needs nothing but createBuffer and limits.
let made = 0;
const device = { limits: { maxBufferSize: 1 << 30 }, createBuffer: ({ size }) => ({ size, id: ++made, destroy() {} }) };
const pool = new WebGpuBufferPool(device);
const a = pool.alloc(1000, BufferUsage.STORAGE);
assert.equal(a.capacity, 1024);
pool.reset();
const b = pool.alloc(700, BufferUsage.STORAGE);
assert.equal(a.stale, true);
assert.equal(b.buffer.id, 1);
assert.throws(() => a.buffer, (e) => e.code === "STALE_BUFFER");
console.log(`capacity=${a.capacity} reused=${b.buffer.id === 1} stale=${a.stale}`);
EOF
  if out=$(cd "$W" && node use.mjs 2>&1) && nn=$(no_native "$W") && [ ! -e "$W/node_modules/webgpu" ]; then
    pass "webgpu: npm install of webgpu + bucket-pool + errors tarballs (no Dawn); $out; $nn"
  else
    fail "webgpu: use from a plain npm project" "$out" "${nn:-}"
  fi
else
  fail "webgpu: npm install" "$(tail -20 "$W/npm-install.log" 2>/dev/null)"
fi

# ---- b. @mlx/residency (+ errors; bucket-pool is a sibling, not a dependency) -------------
B="$WORK/consumer-residency"
if fresh_project "$B" "${TGZ[residency]}" "${TGZ[errors]}" && from_tarballs "$B" residency errors; then
  cat >"$B/use.mjs" <<'EOF'
import assert from "node:assert/strict";
import { InMemoryNativeResidencySet, ResidencySet } from "@mlx/residency";

const native = new InMemoryNativeResidencySet();
const set = new ResidencySet(native, { owner: { name: "gpu0" }, keyOf: (b) => b.address, label: "gpu0" });
set.register({ address: 0x1000n });
for (const address of [0x2000n, 0x3000n, 0x1000n]) set.stageAdd({ address });
set.commit();
assert.equal(set.size, 3);
assert.equal(set.commitCount, 2);
assert.equal(native.allocationCount, 3);
const summary = `size=${set.size} commits=${set.commitCount} native=${native.allocationCount}`;
set.dispose();
assert.equal(native.isDestroyed, true);
console.log(`${summary} destroyed=${native.isDestroyed}`);
EOF
  if out=$(cd "$B" && node use.mjs 2>&1) && nn=$(no_native "$B") && [ ! -e "$B/node_modules/@mlx/bucket-pool" ]; then
    pass "residency: npm install of residency + errors tarballs (no bucket-pool); $out; $nn"
  else
    fail "residency: use from a plain npm project" "$out" "${nn:-}"
  fi
  readme_example "$B/node_modules/@mlx/residency" "$B/readme.mjs"
  if out=$(cd "$B" && node readme.mjs 2>&1) && grep -q "5 true" <<<"$out"; then
    pass "residency: README example runs from the installed package"
  else
    fail "residency: README example" "$out"
  fi
else
  fail "residency: npm install" "$(tail -20 "$B/npm-install.log" 2>/dev/null)"
fi

# ---- c. @mlx/pool (+ bucket-pool, residency, metal-native), addon built by the documented step --
C="$WORK/consumer-pool"
if fresh_project "$C" "${TGZ[pool]}" "${TGZ[bucket-pool]}" "${TGZ[errors]}" "${TGZ[residency]}" "${TGZ[metal-native]}" &&
  from_tarballs "$C" pool bucket-pool errors residency metal-native; then
  pass "pool: npm install of pool, bucket-pool, residency and metal-native tarballs"
  readme_example "$C/node_modules/@mlx/pool" "$C/example.mjs"

  # Before the build step: one clear error that says how to build.
  out=$(cd "$C" && node example.mjs 2>&1)
  rc=$?
  if [ $rc -ne 0 ] && grep -q "npx cmake-js configure && npx cmake-js build" <<<"$out"; then
    pass "pool: before the build step the example exits $rc with: $(grep -m1 -o 'the native addon could not be loaded.*' <<<"$out" | cut -c1-110)..."
  else
    fail "pool: before the build step (want non-zero exit and the cmake-js build instructions)" "exit $rc" "$(head -5 <<<"$out")"
  fi

  # The documented build step, offline: cmake-js and node-api-headers come with metal-native.
  # npm_config_offline makes npx fail rather than fetch cmake-js if it were not installed.
  t0=$(date +%s)
  if (cd "$C/node_modules/@mlx/metal-native" && export npm_config_offline=true npm_config_yes=false && npx cmake-js configure && npx cmake-js build) >"$C/cmake-js.log" 2>&1; then
    pass "pool: addon built by \`npx cmake-js configure && npx cmake-js build\` in node_modules/@mlx/metal-native, offline ($(($(date +%s) - t0)) s)"
  else
    fail "pool: addon build step" "$(grep -m4 -A4 -E 'Error|error:' "$C/cmake-js.log" || tail -20 "$C/cmake-js.log")"
  fi

  out=$(cd "$C" && node example.mjs 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && grep -q "token 2: stale=true" <<<"$out"; then
    pass "pool: README example runs verbatim: $(grep -m1 'token 2: stale=true' <<<"$out")"
  else
    fail "pool: README example (want exit 0 and \"token 2: stale=true\")" "exit $rc" "$(head -20 <<<"$out")"
  fi
else
  fail "pool: npm install" "$(tail -20 "$C/npm-install.log" 2>/dev/null)"
fi

# ---- d. @mlx/cli: the mlx-pool bin from a plain npm install ----------------------------------------
D="$WORK/consumer-cli"
if fresh_project "$D" "${TGZ[cli]}" "${TGZ[pool]}" "${TGZ[webgpu]}" "${TGZ[bucket-pool]}" "${TGZ[errors]}" "${TGZ[residency]}" "${TGZ[metal-native]}" &&
  from_tarballs "$D" cli pool webgpu bucket-pool errors residency metal-native &&
  (cd "$D/node_modules/@mlx/metal-native" && npx cmake-js configure && npx cmake-js build) >"$D/cmake-js.log" 2>&1; then
  if out=$(cd "$D" && npx --offline mlx-pool info 2>&1); then
    pass "cli: npm install + build step; \`npx mlx-pool info\` exits 0 ($(wc -l <<<"$out") lines)"
  else
    fail "cli: npx mlx-pool info" "$(head -10 <<<"$out")"
  fi
else
  fail "cli: npm install and build step" "$(tail -10 "$D/npm-install.log" "$D/cmake-js.log" 2>/dev/null)"
fi

# ---- e. the prebuilt linux-x64 package: @mlx/pool works without the cmake-js build step ---------
# (appended with the prebuilt packages) The binary comes from `bash scripts/prebuilt/build-linux-x64.sh`,
# which `pnpm build` runs on Linux x64. The darwin-arm64 package is built by the hosted workflow.
if [ "$(node -p 'process.platform + "-" + process.arch')" != "linux-x64" ]; then
  echo "SKIP prebuilt linux-x64: this machine is $(node -p 'process.platform + "-" + process.arch')"
elif ! (cd packages/metal-native-linux-x64 && pnpm pack --pack-destination "$PACK" >"$WORK/pack-metal-native-linux-x64.log" 2>&1); then
  fail "prebuilt: pack @mlx/metal-native-linux-x64" "$(tail -5 "$WORK/pack-metal-native-linux-x64.log")"
else
  PRE=$(ls "$PACK"/mlx-metal-native-linux-x64-*.tgz)
  list=$(tar tzf "$PRE")
  size=$(stat -c %s "$PRE")
  manifest=$(tar xzf "${TGZ[metal-native]}" -O package/package.json)
  optional=$(node -e 'const j=JSON.parse(process.argv[1]);console.log(JSON.stringify(j.optionalDependencies||{}))' "$manifest")
  version=$(node -p 'require("./packages/metal-native-linux-x64/package.json").version')
  problems=()
  [ "$(sort <<<"$list" | tr '\n' ' ')" = "package/README.md package/mlx_native.node package/package.json " ] || problems+=("contents: $(tr '\n' ' ' <<<"$list")")
  [ "$size" -le $((4 * 1024 * 1024)) ] || problems+=("$size bytes > 4 MiB")
  pre_manifest=$(tar xzf "$PRE" -O package/package.json)
  node -e 'const j=JSON.parse(process.argv[1]); process.exit(j.os?.[0]==="linux" && j.cpu?.[0]==="x64" ? 0 : 1)' "$pre_manifest" ||
    problems+=("packed package.json lacks os [linux] / cpu [x64] (publishConfig copies them up)")
  grep -q "\"@mlx/metal-native-linux-x64\":\"$version\"" <<<"$optional" || problems+=("metal-native optionalDependencies: $optional")
  grep -q "\"@mlx/metal-native-darwin-arm64\":\"$version\"" <<<"$optional" || problems+=("metal-native optionalDependencies: $optional")
  if [ ${#problems[@]} -eq 0 ]; then
    pass "prebuilt: $(basename "$PRE") ($size bytes: mlx_native.node, package.json, README.md); metal-native's optionalDependencies $optional"
  else
    fail "prebuilt: $(basename "$PRE")" "${problems[@]}"
  fi

  E="$WORK/consumer-prebuilt"
  if fresh_project "$E" "${TGZ[pool]}" "${TGZ[bucket-pool]}" "${TGZ[errors]}" "${TGZ[residency]}" "${TGZ[metal-native]}" "$PRE" &&
    from_tarballs "$E" pool bucket-pool errors residency metal-native metal-native-linux-x64; then
    readme_example "$E/node_modules/@mlx/pool" "$E/example.mjs"
    out=$(cd "$E" && node example.mjs 2>&1)
    rc=$?
    src=$(cd "$E" && node --input-type=module -e 'const m = await import("@mlx/metal-native"); console.log(`${m.nativeAddonSource()} ${m.nativeAddonPath()} [${m.availableBackends}]`)' 2>&1)
    if [ $rc -eq 0 ] && grep -q "token 2: stale=true" <<<"$out" && [ ! -e "$E/node_modules/@mlx/metal-native/build" ] &&
      grep -q "^prebuilt $E/node_modules/@mlx/metal-native-linux-x64/mlx_native.node" <<<"$src"; then
      pass "prebuilt: with the linux-x64 tarball and NO build step, the pool README example runs: $(grep -m1 'token 2: stale=true' <<<"$out"); addon: ${src//"$E/"/}"
    else
      fail "prebuilt: pool without the build step (want exit 0, \"token 2: stale=true\", no build/, source prebuilt)" \
        "exit $rc" "addon: $src" "$(ls "$E/node_modules/@mlx/metal-native")" "$(head -10 <<<"$out")"
    fi
  else
    fail "prebuilt: npm install with the linux-x64 tarball" "$(tail -20 "$E/npm-install.log" 2>/dev/null)"
  fi
fi

# ---- f. a prebuilt package without its binary: `pnpm pack` (and so `pnpm -r pack`) works and
# says so; the tarball holds no binary; `pnpm publish` refuses it.
DARWIN=packages/metal-native-darwin-arm64
if [ -f "$DARWIN/mlx_native.node" ]; then
  echo "SKIP prebuilt without a binary: $DARWIN/mlx_native.node exists here"
else
  NB="$WORK/no-binary"
  mkdir -p "$NB"
  out=$(cd "$DARWIN" && pnpm pack --pack-destination "$NB" 2>&1)
  rc=$?
  list=$(tar tzf "$NB"/mlx-metal-native-darwin-arm64-*.tgz 2>/dev/null)
  pub=$(cd "$DARWIN" && pnpm publish --dry-run --no-git-checks 2>&1)
  pub_rc=$?
  if [ $rc -eq 0 ] && grep -q "skipped the binary" <<<"$out" && [ -n "$list" ] && ! grep -q "mlx_native.node" <<<"$list" &&
    [ $pub_rc -ne 0 ] && grep -q "mlx_native.node is missing" <<<"$pub"; then
    pass "prebuilt without a binary: darwin-arm64 packs with \"$(grep -m1 -o 'skipped the binary[^;]*' <<<"$out")\", no binary inside; publish --dry-run refuses it"
  else
    fail "prebuilt without a binary (want pack exit 0 and no binary, publish refused)" "pack exit $rc: $(tail -3 <<<"$out")" "contents: $(tr '\n' ' ' <<<"$list")" "publish exit $pub_rc: $(tail -3 <<<"$pub")"
  fi
fi

echo
if [ "$FAILED" -eq 0 ]; then
  echo "pack-check: all checks passed"
else
  echo "pack-check: $FAILED check(s) failed"
  exit 1
fi
