import { MlxError } from "@mlx/errors";

export { describeValue, type ErrorCode, isMlxError, MlxError } from "@mlx/errors";

/** The error every entry point of a disposed pool throws. */
export function disposedError(where: string): MlxError {
  return new MlxError("DISPOSED", `${where}: the pool has been disposed`, { value: where });
}
