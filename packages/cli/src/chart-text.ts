/** Font sizes of the charts, and how wide their text is taken to be. */
export const FONT_SIZE = 12;
export const TITLE_SIZE = 16;

/**
 * Width of one character as a fraction of the font size: above the average of common sans-serif
 * faces, so that text measured with it fits wherever the viewer renders it.
 */
const CHAR_WIDTH_EM = 0.62;

/** Estimated width in pixels of `text` at `fontSize` (see {@link CHAR_WIDTH_EM}). */
export function textWidth(text: string, fontSize = FONT_SIZE): number {
  return text.length * fontSize * CHAR_WIDTH_EM;
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c] as string);
}

const XML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};
