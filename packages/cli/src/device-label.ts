/**
 * A device as one phrase: its name, with the backend in front only when the name does not
 * already start with it ("host (CPU memory, 4096-byte pages)", "metal (Apple M3 Max)").
 */
export function deviceLabel(backend: string, name: string): string {
  return name.toLowerCase().startsWith(backend.toLowerCase()) ? name : `${backend} (${name})`;
}
