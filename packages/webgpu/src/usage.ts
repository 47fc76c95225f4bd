import { MlxError } from "@mlx/errors";

/**
 * `GPUBufferUsage` flag values from the WebGPU specification, as plain numbers: the global only
 * exists where a WebGPU implementation installed it, and the pool must load without one.
 */
export const BufferUsage = Object.freeze({
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
});

const ALL_FLAGS = 0x03ff;
const MAPPABLE = BufferUsage.MAP_READ | BufferUsage.MAP_WRITE;

/** True when buffers of this usage can be mapped (and so must be unmapped before they return). */
export function isMappable(usage: number): boolean {
  return (usage & MAPPABLE) !== 0;
}

/**
 * Throws `INVALID_ARGUMENT` unless `usage` is a usage `createBuffer` accepts: a non-zero set of
 * known flags, with MAP_READ only beside COPY_DST and MAP_WRITE only beside COPY_SRC. Checked here
 * because WebGPU reports a bad usage later, as a device error, with an invalid buffer in hand.
 */
export function checkUsage(usage: number, where: string): void {
  if (
    typeof usage === "number" &&
    Number.isInteger(usage) &&
    usage > 0 &&
    (usage & ~ALL_FLAGS) === 0 &&
    ((usage & BufferUsage.MAP_READ) === 0 ||
      (usage & ~(BufferUsage.MAP_READ | BufferUsage.COPY_DST)) === 0) &&
    ((usage & BufferUsage.MAP_WRITE) === 0 ||
      (usage & ~(BufferUsage.MAP_WRITE | BufferUsage.COPY_SRC)) === 0)
  ) {
    return;
  }
  throw new MlxError(
    "INVALID_ARGUMENT",
    `${where}: usage must be non-zero GPUBufferUsage flags (MAP_READ only with COPY_DST, MAP_WRITE only with COPY_SRC), got ${describeUsage(usage)}`,
    { value: usage },
  );
}

function describeUsage(usage: unknown): string {
  if (typeof usage !== "number") return `${typeof usage} ${String(usage)}`;
  return Number.isInteger(usage) && usage >= 0 ? `0x${usage.toString(16)}` : String(usage);
}
