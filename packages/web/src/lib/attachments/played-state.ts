/**
 * Which voice messages this browser played, kept locally (localStorage, never synced: it is what
 * this device heard), by message id and file, at most {@link MAX_PLAYED} (oldest dropped).
 */

const KEY = "volly.played-voice";
/** Most entries kept. */
export const MAX_PLAYED = 2000;

/** The key of one voice file of one message. */
export function playedKey(messageId: string, blobId: string): string {
  return `${messageId}/${blobId}`;
}

function read(storage: Pick<Storage, "getItem">): string[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

/** Whether the voice file `key` ({@link playedKey}) was played here. */
export function wasPlayed(key: string, storage: Pick<Storage, "getItem"> = localStorage): boolean {
  return read(storage).includes(key);
}

/** Remembers that `key` was played (idempotent). */
export function markPlayed(key: string, storage: Pick<Storage, "getItem" | "setItem"> = localStorage): void {
  const keys = read(storage).filter((k) => k !== key);
  keys.push(key);
  try {
    storage.setItem(KEY, JSON.stringify(keys.slice(-MAX_PLAYED)));
  } catch {
    // storage full or disabled: the mark lasts as long as the page
  }
}
