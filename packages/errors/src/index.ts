export { ERROR_CODES, type ErrorCode, isErrorCode } from "./codes.js";
export { describeValue } from "./describe-value.js";
export { isMlxError, MlxError, type MlxErrorDetails } from "./mlx-error.js";
