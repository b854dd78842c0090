/**
 * Avatar colours: each keeps white initials above 4.5:1 contrast (WCAG AA). The colour is a
 * stable hash of the handle, so everyone sees the same colour for the same person.
 */
const PALETTE = [
  "#b91c1c",
  "#c2410c",
  "#a16207",
  "#15803d",
  "#0f766e",
  "#0369a1",
  "#1d4ed8",
  "#6d28d9",
  "#a21caf",
  "#be185d",
] as const;

/** FNV-1a over the handle's UTF-16 code units. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The avatar colour of a handle. */
export function avatarColor(handle: string): string {
  return PALETTE[hash(handle) % PALETTE.length] ?? PALETTE[0];
}

/**
 * One or two initials from a display name (or handle). Another server's handle counts by its user
 * part only: `bob@b.example:8443` gives "B", not "BB".
 */
export function initials(name: string): string {
  const words = name
    .replace(/^(@?[^\s@]+)@[^\s@]+$/, "$1")
    .replace(/[@_.-]+/g, " ")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const first = words[0] ? Array.from(words[0])[0] : undefined;
  const second = words[1] ? Array.from(words[1])[0] : undefined;
  return ((first ?? "?") + (second ?? "")).toUpperCase();
}
