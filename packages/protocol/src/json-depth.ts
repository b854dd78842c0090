import { VollyError } from "./errors.js";
import { LIMITS } from "./limits.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * True when the JSON text nests arrays and objects deeper than `maxDepth` (the outermost array or
 * object is depth 1). Only brackets outside strings count; string contents are skipped with
 * `indexOf`, so a body of long base64 strings is scanned at memchr speed. The text need not be valid
 * JSON: this only bounds what a parser or validator would have to recurse through.
 *
 * @param text JSON text (RFC 8259)
 * @param maxDepth deepest nesting allowed (≥ 0)
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip to the closing quote: one not preceded by an odd number of backslashes.
      let end = text.indexOf('"', i + 1);
      while (end !== -1) {
        let backslashes = 0;
        for (let k = end - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) return false; // unterminated string: the parser refuses it
      i = end;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > maxDepth) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/**
 * Parses JSON text whose nesting is bounded: deeper than `maxDepth` is refused before parsing, so
 * neither the parser nor a schema validator (which recurses) ever sees it.
 *
 * @param text JSON text (RFC 8259)
 * @param maxDepth deepest nesting allowed; default LIMITS.maxJsonDepth
 * @throws VollyError VOLLY_E_BAD_REQUEST with details `{maxDepth}` when nested too deeply; the
 *   parser's SyntaxError when the text is not JSON
 */
export function parseBoundedJson(text: string, maxDepth: number = LIMITS.maxJsonDepth): unknown {
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new VollyError("VOLLY_E_BAD_REQUEST", `JSON may nest arrays and objects ${maxDepth} levels deep.`, {
      maxDepth,
    });
  }
  return JSON.parse(text);
}
