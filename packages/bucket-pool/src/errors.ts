import { MlxError } from "@mlx/errors";

export { describeValue, type ErrorCode, isMlxError, MlxError } from "@mlx/errors";

/** The error every entry point of a disposed pool throws; `label` is how the pool names itself. */
export function disposedError(where: string, label: string): MlxError {
  return new MlxError("DISPOSED", `${where}: ${label} has been disposed`, { value: where });
}
