import { SdkError } from "../worker/sdk-error.js";

const FRIENDLY: Record<string, string> = {
  VOLLY_E_WRONG_PIN: "Wrong PIN.",
  VOLLY_E_PIN_INVALID: "A PIN is exactly 6 digits.",
  VOLLY_E_HANDLE_TAKEN: "That handle is taken — try another.",
  VOLLY_E_HANDLE_INVALID: "Use 3–32 lowercase letters, digits, and . _ - only.",
  VOLLY_E_SERVER_UNREACHABLE: "Can't reach the server. Check your connection and try again.",
  VOLLY_E_INVITE_EXPIRED: "This invite link has expired. Ask for a new one.",
  VOLLY_E_INVITE_INVALID: "This invite link is not valid.",
  VOLLY_E_INVITE_KEY_MISMATCH: "This invite doesn't match the inviter's keys. Ask for a new link in person.",
  VOLLY_E_UNKNOWN_HANDLE: "No one has that handle.",
  VOLLY_E_NO_KEY_PACKAGE: "That person's device is not ready yet. Try again in a moment.",
  VOLLY_E_RATE_LIMITED: "Too many attempts. Wait a moment.",
  VOLLY_E_LINK_INVALID:
    "This pairing code is not valid or was already used. Show a new one on your other device.",
  VOLLY_E_LINK_EXPIRED:
    "The pairing code expired before it was approved. Show a new one on your other device.",
  VOLLY_E_LINK_DECLINED: "Your other device declined this one; nothing was linked.",
};

/** A sentence for the user describing an error (never a stack trace or an id). */
export function describeError(err: unknown): string {
  if (err instanceof SdkError) return FRIENDLY[err.code] ?? err.message;
  if (err instanceof Error) return err.message;
  return "Something went wrong.";
}

/** The VOLLY_E_* code of an error, if any. */
export function errorCode(err: unknown): string | undefined {
  return err instanceof SdkError ? err.code : undefined;
}
