/**
 * JSON from a client that Gatehouse parses and serialises again (a compat translation, a universal
 * step's body) must not nest deeper than this. `JSON.parse` takes any depth, but `JSON.stringify`
 * and the translators recurse and run out of stack at a few thousand levels; real bodies, tool
 * schemas included, stay far below.
 */
export const MAX_JSON_DEPTH = 256;

/** How deep a JSON text nests its arrays and objects, read without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * What to throw for `err`, raised while handling the JSON `text`: when the stack ran out and the
 * text nests deeper than MAX_JSON_DEPTH, the client's error (`tooDeep` makes it); otherwise `err`
 * as it was. Checked only once something failed, so that every other request pays nothing.
 */
export function explainDepth(err: unknown, text: string, tooDeep: (depth: number) => Error): unknown {
  if (!(err instanceof RangeError)) return err;
  const depth = jsonDepth(text);
  return depth > MAX_JSON_DEPTH ? tooDeep(depth) : err;
}
