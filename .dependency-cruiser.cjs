// The layering of DESIGN.md section 1, checked: `pnpm deps` fails on an import cycle (type-only
// imports included) or an import of a package above the importer. Arrows, all pointing down:
//   cli -> {pool, webgpu}; pool -> {bucket-pool, residency, metal-native}; webgpu -> bucket-pool;
//   every package -> errors.
/** What each package's src may import of the others (by directory name). */
const allowed = {
  errors: [],
  "bucket-pool": ["errors"],
  residency: ["errors"],
  "metal-native": ["errors"],
  webgpu: ["errors", "bucket-pool"],
  pool: ["errors", "bucket-pool", "residency", "metal-native"],
  cli: ["errors", "pool", "webgpu"],
};
const names = Object.keys(allowed);
// A workspace import resolves to packages/<name>/ (through the pnpm link) or, before a build,
// stays the bare @mlx/<name>: both spellings count.
const target = (list) => `^(packages/|@mlx/)(${list.join("|")})(/|$)`;

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle, type-only imports included: split the shared part out.",
      from: {},
      to: { circular: true },
    },
    ...names.map((name) => {
      const others = names.filter((n) => n !== name && !allowed[name].includes(n));
      return {
        name: `layering-${name}`,
        severity: "error",
        comment: `packages/${name} may import only ${allowed[name].join(", ") || "nothing"} of @mlx`,
        from: { path: `^packages/${name}/src/` },
        to: { path: target(others) },
      };
    }),
    {
      name: "no-upward-test-hooks",
      severity: "error",
      comment: "Library code never imports the native test hooks.",
      from: {
        path: "^packages/[^/]+/src/",
        pathNot: "^packages/metal-native/src/test-hooks\\.ts$",
      },
      to: { path: "(^|/)metal-native/(src|dist)/test-hooks\\.(ts|js|d\\.ts)$" },
    },
  ],
  options: {
    // Built output is a leaf: an import of it still counts, its own imports are not followed.
    doNotFollow: { path: "(^|/)(node_modules|dist|build)/" },
    // Type-only imports are dependencies too (a cycle through `import type` is still a knot).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    combinedDependencies: false,
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "types", "default"],
      extensions: [".ts", ".d.ts", ".js", ".mjs"],
    },
  },
};
