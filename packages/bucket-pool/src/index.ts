export { describeValue, type ErrorCode, MlxError } from "./errors.js";
