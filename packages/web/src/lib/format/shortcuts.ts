/** The Markdown marker each composer shortcut wraps the selection in (Ctrl/Cmd + key). */
export const FORMAT_SHORTCUTS: Readonly<Record<string, string>> = { b: "**", i: "*" };

/** A text and its selection (UTF-16 offsets). */
export interface Edited {
  text: string;
  start: number;
  end: number;
}

/**
 * Wraps `text[start, end)` in `marker` (the selection stays on the same words), or unwraps it
 * when the marker is already around it. With nothing selected, inserts a pair with the caret
 * between.
 *
 * @param text the composer's text
 * @param start selection start (UTF-16 offset)
 * @param end selection end (UTF-16 offset)
 * @param marker e.g. "**"
 */
export function toggleMarker(text: string, start: number, end: number, marker: string): Edited {
  const n = marker.length;
  if (text.slice(start - n, start) === marker && text.slice(end, end + n) === marker) {
    return {
      text: text.slice(0, start - n) + text.slice(start, end) + text.slice(end + n),
      start: start - n,
      end: end - n,
    };
  }
  return {
    text: text.slice(0, start) + marker + text.slice(start, end) + marker + text.slice(end),
    start: start + n,
    end: end + n,
  };
}
