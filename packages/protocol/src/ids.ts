import { toBase64Url } from "./encoding.js";

/**
 * Generates a random 128-bit identifier as 22 base64url characters. Used for accounts, devices,
 * groups (conversations), sessions and client-generated message ids. Uses the platform CSPRNG
 * (`crypto.getRandomValues`), present in Node >= 20 and every browser.
 *
 * Never starts with '-': ids are pasted into command lines (`volly send <conversation id> …`),
 * where a leading '-' reads as an option. Drawing again in that case (1 in 64) costs < 0.03 bits.
 */
export function newId(): string {
  const bytes = new Uint8Array(16);
  for (;;) {
    globalThis.crypto.getRandomValues(bytes);
    const id = toBase64Url(bytes);
    if (!id.startsWith("-")) return id;
  }
}

/** Pattern every id matches: 22 base64url characters (128 bits). */
export const ID_PATTERN = "^[A-Za-z0-9_-]{22}$";

/** Pattern a handle matches: 3–32 characters, lowercase letters, digits, '_', '.', '-', starting alphanumeric. */
export const HANDLE_PATTERN = "^[a-z0-9][a-z0-9_.-]{2,31}$";

/** True when `handle` is a valid handle (see {@link HANDLE_PATTERN}). */
export function isValidHandle(handle: string): boolean {
  return new RegExp(HANDLE_PATTERN).test(handle);
}
