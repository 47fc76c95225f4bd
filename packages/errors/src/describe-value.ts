/** Formats a value for an error message: strings quoted, bigints with `n`, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean" || value == null)
    return String(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(", ")}]`;
  return Object.prototype.toString.call(value);
}
