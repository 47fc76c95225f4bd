#!/usr/bin/env bash
# Compiles and runs packages/metal-native's Metal backend on Linux x86-64 against the fake Metal
# runtime (packages/metal-native/test/fake-metal/README.md), as CI does after `pnpm test`:
#   1. installs the Debian packages it needs when missing;
#   2. builds mlx_native.node with MLX_METAL_FAKE=1 into build-metal-fake/ (build/ is untouched);
#   3. compile checks with -Werror: the .mm against stub SDKs 15 and 14, a Darwin target at the
#      deployment target CMake sets, and a Mach-O check that MTLResidencySetDescriptor is weak;
#   4. the C++ backend tests against the fake;
#   5. the vitest suites of @mlx/metal-native and @mlx/pool with MLX_BACKEND=metal on that build,
#      and examples/metal-kernel (its addon built against the same fake runtime, then run).
# Needs the TypeScript packages built (`pnpm build`). Ends with one line of counts; exits
# non-zero when anything failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
pkg=$root/packages/metal-native
native=$pkg/src/native
fakedir=$pkg/test/fake-metal
out=$pkg/build-metal-fake
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0
step() { echo; echo "== metal-fake: $*"; }
ok() { passed=$((passed + 1)); echo "   ok   $*"; }
fail() { failed=$((failed + 1)); echo "   FAIL $*"; }
finish() {
  echo
  echo "metal-fake: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit
}

step "Debian packages"
packages=(clang-19 libc++-19-dev libblocksruntime-dev llvm-19)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update && $sudo apt-get install -y "${missing[@]}" || { fail "apt-get install ${missing[*]}"; finish; }
fi
ok "installed: ${packages[*]}"

step "build mlx_native.node with MLX_METAL_FAKE=1 into $(basename "$out")"
cd "$pkg"
if MLX_METAL_FAKE=1 MLX_WITH_CUDA=0 npx cmake-js configure --out build-metal-fake --cc clang-19 --cxx clang++-19 \
    --CDMLX_METAL_FAKE=ON --CDMLX_WITH_CUDA=OFF >"$work/configure.log" 2>&1 &&
  npx cmake-js build --out build-metal-fake >"$work/build.log" 2>&1; then
  ok "built $out/Release/mlx_native.node and fake_metal_backend_tests"
else
  cat "$work/configure.log" "$work/build.log" 2>/dev/null | tail -40
  fail "fake build"
  finish
fi

step "compile checks (-Werror)"
for sdk in 150000 140000; do
  if clang++-19 -x objective-c++ -std=c++17 -fobjc-arc -fobjc-runtime=gnustep-2.0 -fblocks -Wall -Wextra -Werror \
      -fsyntax-only -DMLX_METAL_FAKE=1 -DSTUB_SDK=$sdk -isystem "$fakedir/sdk" -I "$native" "$native/metal_backend.mm"; then
    ok "metal_backend.mm, stub SDK $sdk"
  else fail "metal_backend.mm, stub SDK $sdk"; fi
done
deployment=$(sed -n 's/^CMAKE_OSX_DEPLOYMENT_TARGET:[A-Z]*=//p' "$out/CMakeCache.txt")
darwin=(-target x86_64-apple-macos -U__nonnull -U__nullable -D_GNU_SOURCE -isystem "$fakedir/darwin-shim"
  -isystem /usr/include/x86_64-linux-gnu -x objective-c++ -std=c++17 -fobjc-arc -isystem "$fakedir/sdk" -I "$native")
if [ -z "$deployment" ]; then
  fail "CMakeLists.txt sets CMAKE_OSX_DEPLOYMENT_TARGET (it is empty)"
else
  ok "CMakeLists.txt sets CMAKE_OSX_DEPLOYMENT_TARGET=$deployment"
  if clang++-19 "${darwin[@]}" -mmacosx-version-min="$deployment" -Wall -Wextra -Werror -Werror=unguarded-availability-new \
      -fsyntax-only "$native/metal_backend.mm"; then
    ok "Darwin x86_64, deployment $deployment, -Werror=unguarded-availability-new"
  else fail "Darwin x86_64, deployment $deployment, -Werror=unguarded-availability-new"; fi
  if clang++-19 "${darwin[@]}" -mmacosx-version-min="$deployment" -O1 -c "$native/metal_backend.mm" -o "$work/macho.o" &&
    llvm-nm-19 -m "$work/macho.o" | grep MTLResidencySetDescriptor | tee "$work/nm.txt" && grep -q "weak external" "$work/nm.txt"; then
    ok "Mach-O at deployment $deployment: MTLResidencySetDescriptor is weak-imported"
  else fail "Mach-O at deployment $deployment: MTLResidencySetDescriptor is weak-imported"; fi
fi

step "C++ backend tests against the fake"
"$out/fake_metal_backend_tests" | tee "$work/backend-tests.log"
line=$(tail -1 "$work/backend-tests.log")
if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
  passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
else fail "fake_metal_backend_tests did not report its counts"; fi

for suite in packages/metal-native packages/pool examples/metal-kernel; do
  step "vitest $suite with MLX_BACKEND=metal on the fake"
  cd "$root/$suite"
  MLX_NATIVE_ADDON="$out/Release/mlx_native.node" MLX_BACKEND=metal MLX_METAL_FAKE=1 \
    npx vitest run --reporter=default --reporter=json --outputFile.json="$work/${suite##*/}.json"
  report="$work/${suite##*/}.json"
  if [ -s "$report" ]; then
    read -r p f s < <(node -e 'const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests, r.numPendingTests + r.numTodoTests)' "$report")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    # A file that fails outside any test (its setup, an afterAll leak check) fails the run too.
    node -e 'process.exit(require(process.argv[1]).success ? 0 : 1)' "$report" || [ "$f" -gt 0 ] ||
      fail "$suite: a test file failed outside its tests"
  else fail "$suite: vitest wrote no report"; fi
done
finish
