import type { ErrorCode } from "@volly/protocol";

/**
 * Exit codes of the `volly` CLI, so scripts can tell failures apart:
 * 0 ok · 1 unexpected · 2 usage · 3 PIN or authentication · 4 not found · 5 server unreachable ·
 * 6 refused by the server (conflict, stale, forbidden, banned, timed out) · 7 invite rejected
 * (personal or community invite).
 */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  unreachable: 5,
  refused: 6,
  invite: 7,
} as const;

/** The exit code for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  if (
    code === "VOLLY_E_USAGE" ||
    code === "VOLLY_E_HANDLE_INVALID" ||
    code === "VOLLY_E_BAD_REQUEST" ||
    code === "VOLLY_E_RECOVERY_KEY_INVALID"
  )
    return EXIT.usage;
  if (
    code === "VOLLY_E_WRONG_PIN" ||
    code === "VOLLY_E_PIN_INVALID" ||
    code === "VOLLY_E_PROFILE_LOCKED" ||
    code === "VOLLY_E_NOT_AUTHENTICATED" ||
    code === "VOLLY_E_BAD_SIGNATURE" ||
    code === "VOLLY_E_NONCE_INVALID" ||
    code === "VOLLY_E_DEVICE_REVOKED" ||
    code === "VOLLY_E_RECOVERY_FAILED"
  )
    return EXIT.auth;
  if (
    code === "VOLLY_E_PROFILE_MISSING" ||
    code.startsWith("VOLLY_E_UNKNOWN_") ||
    code === "VOLLY_E_NOT_FOUND" ||
    code === "VOLLY_E_NO_BACKUP"
  )
    return EXIT.notFound;
  if (code === "VOLLY_E_SERVER_UNREACHABLE" || code === "VOLLY_E_SHUTTING_DOWN") return EXIT.unreachable;
  if (code.startsWith("VOLLY_E_INVITE_") || code === "VOLLY_E_COMMUNITY_INVITE_INVALID") return EXIT.invite;
  if (code === "VOLLY_E_INTERNAL") return EXIT.unexpected;
  return EXIT.refused;
}
