/**
 * Whose account this browser holds, kept in the clear (localStorage) so that the unlock screen can
 * say it before the PIN opens the keys: the handle and display name only, both directory data the
 * server shows anyone. Written after every unlock, removed when the browser signs out.
 */

/** The localStorage key of the hint. */
const HINT_KEY = "volly.account";

/** Whose account it is: the handle (without `@`) and the display name, if any. */
export interface AccountHint {
  handle: string;
  displayName?: string;
}

/** The stored hint, or undefined when there is none (or it does not parse). */
export function readAccountHint(): AccountHint | undefined {
  try {
    const raw = localStorage.getItem(HINT_KEY);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Partial<AccountHint>;
    if (typeof parsed.handle !== "string" || parsed.handle.length === 0) return undefined;
    return {
      handle: parsed.handle,
      ...(typeof parsed.displayName === "string" && parsed.displayName
        ? { displayName: parsed.displayName }
        : {}),
    };
  } catch {
    return undefined;
  }
}

/** Stores the hint (a browser that refuses storage just shows no name on the unlock screen). */
export function writeAccountHint(hint: AccountHint): void {
  try {
    localStorage.setItem(
      HINT_KEY,
      JSON.stringify({ handle: hint.handle, ...(hint.displayName ? { displayName: hint.displayName } : {}) }),
    );
  } catch {
    // storage refused (private mode, quota): nothing to remember
  }
}

/** Removes the hint (signing out). */
export function clearAccountHint(): void {
  try {
    localStorage.removeItem(HINT_KEY);
  } catch {
    // storage refused: nothing stored either
  }
}
