/**
 * Wraps user-written text (a display name, a product title, a brand name) that a server message
 * quotes in a Unicode isolate (FSI … PDI). An open right-to-left override or embedding inside
 * the name then ends with it, instead of reversing the rest of the sentence around it.
 */
export function isolate(text: string): string {
  return `\u2068${text}\u2069`;
}
