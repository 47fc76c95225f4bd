// include/mlx_native/interop.h: shipped in the package, and compiles and computes as it says in
// every flavour an addon includes it (plain C++, after cuda_runtime_api.h, Objective-C++ after
// Metal.h against the fake SDK). Each compiler that is missing skips its case with the reason.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));
const include = join(packageRoot, "include");
const work = mkdtempSync(join(tmpdir(), "mlx-interop-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function has(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
}

const cudaInclude = "/usr/local/cuda/include";
const hasCudaHeaders =
  spawnSync("test", ["-f", join(cudaInclude, "cuda_runtime_api.h")]).status === 0;

/** Compiles `source` with `compiler` and runs it; returns its stdout. */
function compileAndRun(compiler: string, name: string, source: string, flags: string[]): string {
  const file = join(work, name);
  writeFileSync(file, source);
  const binary = join(work, `${name}.out`);
  execFileSync(compiler, [...flags, "-I", include, file, "-o", binary], { stdio: "pipe" });
  return execFileSync(binary, { encoding: "utf8" });
}

describe("interop.h", () => {
  it("is in the package's files", () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8"));
    expect(manifest.files).toContain("include");
  });

  it.skipIf(!has("c++"))(
    "plain C++: pointerOf adds the offset; the DLPack device types are dlpack.h's",
    () => {
      const out = compileAndRun(
        "c++",
        "plain.cpp",
        `#include <cstdio>
#include "mlx_native/interop.h"
int main() {
  char bytes[16];
  const uint64_t handle = reinterpret_cast<uintptr_t>(bytes);
  std::printf("%d %d %d %d\\n", mlx_interop::pointerOf(handle, 4) == bytes + 4,
              mlx_interop::kHostHandleDLDevice, mlx_interop::kMetalHandleDLDevice,
              mlx_interop::kCudaHandleDLDevice);
}
`,
        ["-std=c++17", "-Wall", "-Werror"],
      );
      expect(out.trim()).toBe("1 1 8 13");
    },
  );

  it.skipIf(!has("c++") || !hasCudaHeaders)(
    "after cuda_runtime_api.h: streams and device pointers round-trip (compile and run, no GPU needed)",
    () => {
      const out = compileAndRun(
        "c++",
        "cuda.cpp",
        `#include <cstdio>
#include <cuda_runtime_api.h>
#include "mlx_native/interop.h"
int main() {
  cudaStream_t stream = mlx_interop::cudaStreamOf(0x1234);
  std::printf("%d %d %d\\n", mlx_interop::handleOfCudaStream(stream) == 0x1234,
              mlx_interop::cudaStreamOf(0) == nullptr,
              mlx_interop::cudaDevicePointerOf(0x1000, 0x10) == 0x1010ull);
}
`,
        ["-std=c++17", "-Wall", "-Werror", "-I", cudaInclude],
      );
      expect(out.trim()).toBe("1 1 1");
    },
  );

  it.skipIf(!has("clang++-19"))(
    "Objective-C++ after Metal.h (the fake SDK): the Metal helpers compile with ARC",
    () => {
      const file = join(work, "metal.mm");
      writeFileSync(
        file,
        `#import <Metal/Metal.h>
#include "mlx_native/interop.h"
uint64_t roundTrip(uint64_t queue) {
  return mlx_interop::handleOfMetalQueue(mlx_interop::metalQueueOf(queue));
}
id<MTLBuffer> buffer(uint64_t handle) { return mlx_interop::metalBufferOf(handle); }
id<MTLDevice> device(uint64_t handle) { return mlx_interop::metalDeviceOf(handle); }
void* kept(uint64_t handle) { return mlx_interop::retainedMetalBuffer(handle); }
`,
      );
      const sdk = join(packageRoot, "test/fake-metal/sdk");
      execFileSync(
        "clang++-19",
        [
          "-x",
          "objective-c++",
          "-std=c++17",
          "-fobjc-arc",
          "-fobjc-runtime=gnustep-2.0",
          "-fblocks",
          "-Wall",
          "-Wextra",
          "-Werror",
          "-fsyntax-only",
          "-DSTUB_SDK=150000",
          "-isystem",
          sdk,
          "-I",
          include,
          file,
        ],
        { stdio: "pipe" },
      );
    },
  );
});
