// A GPUDevice stand-in for the peers' buffer managers: createBuffer returns a small object and
// counts, destroy marks it. No GPU work happens, so what is timed is each manager's own
// bookkeeping, as ours is timed on the host backend.
export class FakeGpuDevice {
  created = 0;
  destroyed = 0;
  queue = { writeBuffer() {}, submit() {}, onSubmittedWorkDone: () => Promise.resolve() };
  limits = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 };

  createBuffer({ size, usage }) {
    this.created++;
    const device = this;
    return {
      size,
      usage,
      mapState: "unmapped",
      destroy() {
        device.destroyed++;
      },
    };
  }
}

/** The WebGPU usage flags the peers read as a global (as a browser defines it). */
globalThis.GPUBufferUsage ??= {
  MAP_READ: 0x1,
  MAP_WRITE: 0x2,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  INDEX: 0x10,
  VERTEX: 0x20,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  INDIRECT: 0x100,
  QUERY_RESOLVE: 0x200,
};
