/** File names and media types as the protocol accepts them (AttachmentPointer `name`, `mime`). */

/** The type of a file the browser did not type. */
export const UNKNOWN_TYPE = "application/octet-stream";

/** A media type as the protocol accepts it (lowercase `type/subtype`, no parameters). */
export function cleanMime(type: string): string {
  const bare = (type.split(";")[0] ?? "").trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(bare) && bare.length <= 127 ? bare : UNKNOWN_TYPE;
}

/** A file name as the protocol accepts it: 1–255 characters, no path. */
export function cleanName(name: string, fallback: string): string {
  const base = name.split(/[\\/]/).pop()?.trim() ?? "";
  return (base || fallback).slice(0, 255);
}
