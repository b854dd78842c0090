/**
 * Whether the same request can succeed when it is sent again, and after what:
 * - `"never"`: resending it unchanged fails the same way (fix or rebuild the request first; e.g. a
 *   commit for a stale epoch is rebuilt on the new epoch, which is a new request);
 * - `"later"`: it may succeed later without changes (the server unreachable, draining, overloaded
 *   or failing internally) — keep the work and retry with backoff;
 * - `"reauth"`: it may succeed with a new session (sign in again with a fresh signed nonce, then
 *   resend).
 * Read it with {@link retryClass}, never by listing codes.
 */
export type RetryClass = "never" | "later" | "reauth";

/**
 * The single registry of Volly error codes. Every error a server or client reports to a user carries
 * one of these codes and its message. `http` is the REST status, `close` the WebSocket close code the
 * gateway uses when the error ends the connection (RFC 6455 §7.4; 4000–4999 are application codes),
 * `retry` its {@link RetryClass} (read by {@link retryClass}: the SDK's one retry policy).
 * `docs/protocol.md` is generated from this table and a test keeps the two in sync.
 */
export const ERROR_CODES = {
  VOLLY_E_BAD_REQUEST: {
    http: 400,
    close: 4002,
    message: "The request does not match its schema.",
    retry: "never",
  },
  VOLLY_E_MALFORMED_FRAME: {
    http: 400,
    close: 4002,
    message: "The frame is not valid JSON of the form {op, d}.",
    retry: "never",
  },
  VOLLY_E_UNKNOWN_OP: { http: 400, close: 4001, message: "Unknown gateway opcode.", retry: "never" },
  VOLLY_E_FRAME_TOO_LARGE: {
    http: 413,
    close: 1009,
    message: "The frame exceeds the size limit.",
    retry: "never",
  },
  VOLLY_E_PAYLOAD_TOO_LARGE: {
    http: 413,
    close: 1009,
    message: "The request body exceeds the size limit.",
    retry: "never",
  },
  VOLLY_E_NOT_FOUND: { http: 404, close: 4000, message: "No such route.", retry: "never" },
  VOLLY_E_NOT_AUTHENTICATED: { http: 401, close: 4003, message: "Authenticate first.", retry: "reauth" },
  VOLLY_E_ALREADY_AUTHENTICATED: {
    http: 400,
    close: 4005,
    message: "This connection is already authenticated.",
    retry: "never",
  },
  VOLLY_E_BAD_SIGNATURE: {
    http: 401,
    close: 4004,
    message: "The signature does not verify with the device's key.",
    retry: "never",
  },
  VOLLY_E_NONCE_INVALID: {
    http: 401,
    close: 4004,
    message: "The nonce is unknown, expired or already used.",
    retry: "reauth",
  },
  VOLLY_E_SESSION_INVALID: {
    http: 401,
    close: 4009,
    message: "The session cannot be resumed; identify again.",
    retry: "reauth",
  },
  VOLLY_E_HANDLE_INVALID: {
    http: 400,
    close: 4002,
    message: "A handle is 3–32 characters: a–z, 0–9, '_', '.', '-'.",
    retry: "never",
  },
  VOLLY_E_HANDLE_TAKEN: { http: 409, close: 4000, message: "That handle is already taken.", retry: "never" },
  VOLLY_E_KEY_TAKEN: {
    http: 409,
    close: 4000,
    message: "That signature key is already registered.",
    retry: "never",
  },
  VOLLY_E_UNKNOWN_HANDLE: { http: 404, close: 4000, message: "No account has that handle.", retry: "never" },
  VOLLY_E_UNKNOWN_ACCOUNT: { http: 404, close: 4000, message: "No such account.", retry: "never" },
  VOLLY_E_UNKNOWN_DEVICE: { http: 404, close: 4000, message: "No such device.", retry: "never" },
  VOLLY_E_UNKNOWN_GROUP: { http: 404, close: 4000, message: "No such group.", retry: "never" },
  VOLLY_E_UNKNOWN_MESSAGE: {
    http: 404,
    close: 4000,
    message: "No such message (never stored, already removed, or not this conversation's).",
    retry: "never",
  },
  VOLLY_E_UNKNOWN_SCHEDULED: {
    http: 404,
    close: 4000,
    message:
      "No such scheduled message (never scheduled, cancelled, already released, or another account's).",
    retry: "never",
  },
  VOLLY_E_GROUP_EXISTS: {
    http: 409,
    close: 4000,
    message: "A group with that id already exists.",
    retry: "never",
  },
  VOLLY_E_NOT_GROUP_MEMBER: {
    http: 403,
    close: 4000,
    message: "This device is not a member of that group.",
    retry: "never",
  },
  VOLLY_E_STALE_EPOCH: {
    http: 409,
    close: 4000,
    message: "The commit is for an epoch that is no longer current; process the group's log and retry.",
    retry: "never",
  },
  VOLLY_E_COMMIT_INVALID: {
    http: 400,
    close: 4002,
    message:
      "The commit does not match what was declared with it, or is not the posting device's own (details.cause).",
    retry: "never",
  },
  VOLLY_E_KEY_PACKAGE_INVALID: {
    http: 400,
    close: 4002,
    message: "The key package cannot be parsed or verified.",
    retry: "never",
  },
  VOLLY_E_KEY_PACKAGE_FOREIGN: {
    http: 403,
    close: 4000,
    message: "The key package is not signed with this device's key.",
    retry: "never",
  },
  VOLLY_E_NO_KEY_PACKAGE: {
    http: 404,
    close: 4000,
    message: "The device has no key package left to claim.",
    retry: "never",
  },
  VOLLY_E_KEY_PACKAGE_LIMIT: {
    http: 409,
    close: 4000,
    message: "The device already stores as many unclaimed key packages as allowed (details.limit).",
    retry: "never",
  },
  VOLLY_E_CLAIM_REASON_INVALID: {
    http: 403,
    close: 4000,
    message: "The claim's reason does not cover those devices (details.reason, details.deviceId).",
    retry: "never",
  },
  VOLLY_E_MESSAGE_ID_CONFLICT: {
    http: 409,
    close: 4000,
    message: "A different message was already stored under that message id.",
    retry: "never",
  },
  VOLLY_E_BROKER_REFUSED: {
    http: 502,
    close: 4000,
    message:
      "The MQTT broker refused the connection (details.reasonCode: bad credentials, not authorized, protocol).",
    retry: "never",
  },
  VOLLY_E_SFU_UNAVAILABLE: {
    http: 503,
    close: 4000,
    message: "The media server (SFU) of voice channels cannot be reached or is not configured.",
    retry: "later",
  },
  VOLLY_E_NOT_IN_VOICE: {
    http: 404,
    close: 4000,
    message: "That account is in no voice channel of this community.",
    retry: "never",
  },
  VOLLY_E_SFU_REFUSED: {
    http: 502,
    close: 4000,
    message: "The media server (SFU) refused the request (details.sfuCode, details.reason).",
    retry: "never",
  },
  VOLLY_E_HEARTBEAT_TIMEOUT: {
    http: 408,
    close: 4009,
    message: "No heartbeat within twice the interval.",
    retry: "later",
  },
  VOLLY_E_IDENTIFY_TIMEOUT: {
    http: 408,
    close: 4011,
    message: "No IDENTIFY or RESUME within the deadline after HELLO.",
    retry: "later",
  },
  VOLLY_E_TOO_MANY_CONNECTIONS: {
    http: 429,
    close: 4012,
    message: "Too many unauthenticated gateway connections from this address; identify or close some first.",
    retry: "later",
  },
  VOLLY_E_ORIGIN_NOT_ALLOWED: {
    http: 403,
    close: 4013,
    message: "Web pages of this origin may not connect to the gateway.",
    retry: "never",
  },
  VOLLY_E_REQUEST_TIMEOUT: {
    http: 408,
    close: 4002,
    message: "The request was not received in time.",
    retry: "later",
  },
  VOLLY_E_HEADERS_TOO_LARGE: {
    http: 431,
    close: 4002,
    message: "The request line or headers exceed the size limit.",
    retry: "never",
  },
  VOLLY_E_GROUP_FULL: {
    http: 409,
    close: 4000,
    message: "The group is full: it cannot have more member devices (details.limit).",
    retry: "never",
  },
  VOLLY_E_TOO_LARGE: {
    http: 413,
    close: 4000,
    message: "The file is larger than this server accepts (details.limit, details.size in bytes).",
    retry: "never",
  },
  VOLLY_E_BLOB_MISMATCH: {
    http: 422,
    close: 4000,
    message: "The blob's bytes do not hash to its id (SHA-256): refused, nothing stored.",
    retry: "never",
  },
  VOLLY_E_BLOB_NOT_READY: {
    http: 409,
    close: 4000,
    message:
      "A blob the message points at is not a completed upload to this conversation, nor one the sender's account uploaded (details.blobId).",
    retry: "never",
  },
  VOLLY_E_QUOTA_EXCEEDED: {
    http: 507,
    close: 4000,
    message:
      "The storage quota is used up (details.scope: account or group; details.limit, details.used in bytes); retry once older entries are delivered.",
    retry: "later",
  },
  VOLLY_E_COMMIT_TOO_LARGE: {
    http: 413,
    close: 4000,
    message: "A part of the commit is larger than the group's size allows (details.field, details.limit).",
    retry: "never",
  },
  VOLLY_E_NOT_GROUP_ADMIN: {
    http: 403,
    close: 4000,
    message: "Only a group admin may add or remove other accounts' devices.",
    retry: "never",
  },
  VOLLY_E_LINK_INVALID: {
    http: 404,
    close: 4000,
    message: "The device link is unknown, already used, or its proof does not match.",
    retry: "never",
  },
  VOLLY_E_LINK_EXPIRED: {
    http: 410,
    close: 4000,
    message: "The device link has expired (links last 15 minutes).",
    retry: "never",
  },
  VOLLY_E_LINK_DECLINED: {
    http: 403,
    close: 4000,
    message: "The new device's claim of the device link was declined; nothing was approved.",
    retry: "never",
  },
  VOLLY_E_DEVICE_REVOKED: {
    http: 401,
    close: 4010,
    message: "This device was revoked by its account.",
    retry: "never",
  },
  VOLLY_E_API_KEY_INVALID: {
    http: 401,
    close: 4014,
    message: "The API key is malformed, fails its checksum or is unknown.",
    retry: "never",
  },
  VOLLY_E_API_KEY_EXPIRED: {
    http: 401,
    close: 4014,
    message: "The API key expired (or its rotation overlap ended).",
    retry: "never",
  },
  VOLLY_E_API_KEY_REVOKED: {
    http: 401,
    close: 4014,
    message: "The API key was revoked.",
    retry: "never",
  },
  VOLLY_E_API_KEY_REQUIRED: {
    http: 401,
    close: 4014,
    message: "This device authenticates with an API key; a signature alone is refused.",
    retry: "never",
  },
  VOLLY_E_API_KEY_ROTATED: {
    http: 409,
    close: 4000,
    message: "This API key was already rotated (details.replacedBy names its successor).",
    retry: "never",
  },
  VOLLY_E_API_KEY_SCOPE: {
    http: 403,
    close: 4000,
    message: "The API key this session was made with lacks the scope this needs (details.scope names it).",
    retry: "never",
  },
  VOLLY_E_FORBIDDEN: {
    http: 403,
    close: 4000,
    message: "You lack the permission this needs (details.permission names it).",
    retry: "never",
  },
  VOLLY_E_UNKNOWN_COMMUNITY: {
    http: 404,
    close: 4000,
    message: "No such community, or you are not a member of it.",
    retry: "never",
  },
  VOLLY_E_UNKNOWN_CHANNEL: {
    http: 404,
    close: 4000,
    message: "No such channel, or you may not view it.",
    retry: "never",
  },
  VOLLY_E_UNKNOWN_ROLE: {
    http: 404,
    close: 4000,
    message: "No such role in this community.",
    retry: "never",
  },
  VOLLY_E_NOT_COMMUNITY_MEMBER: {
    http: 404,
    close: 4000,
    message: "That account is not a member of this community.",
    retry: "never",
  },
  VOLLY_E_BANNED: {
    http: 403,
    close: 4000,
    message: "This account is banned from the community.",
    retry: "never",
  },
  VOLLY_E_TIMED_OUT: {
    http: 403,
    close: 4000,
    message: "You are timed out in this community until details.until.",
    retry: "never",
  },
  VOLLY_E_COMMUNITY_INVITE_INVALID: {
    http: 404,
    close: 4000,
    message: "The community invite is unknown, expired, used up or revoked.",
    retry: "never",
  },
  VOLLY_E_OWNER_CANNOT_LEAVE: {
    http: 409,
    close: 4000,
    message: "The owner must transfer ownership before leaving.",
    retry: "never",
  },
  VOLLY_E_RECOVERY_FAILED: {
    http: 403,
    close: 4000,
    message: "The recovery key does not restore this account.",
    retry: "never",
  },
  VOLLY_E_RECOVERY_KEY_INVALID: {
    http: 400,
    close: 4000,
    message: "That is not a recovery key: 52 letters and digits in 13 groups of 4.",
    retry: "never",
  },
  VOLLY_E_NO_BACKUP: {
    http: 404,
    close: 4000,
    message: "This account has no backup on the server.",
    retry: "never",
  },
  VOLLY_E_RATE_LIMITED: { http: 429, close: 4008, message: "Too many requests; slow down.", retry: "later" },
  VOLLY_E_SHUTTING_DOWN: {
    http: 503,
    close: 1001,
    message: "The server is shutting down; reconnect shortly.",
    retry: "later",
  },
  VOLLY_E_INTERNAL: { http: 500, close: 1011, message: "Internal server error.", retry: "later" },
  // Client-side errors (SDK and CLI); `http` is unused for these.
  VOLLY_E_WRONG_PIN: { http: 401, close: 4000, message: "Wrong PIN.", retry: "never" },
  VOLLY_E_PIN_INVALID: { http: 400, close: 4000, message: "A PIN is exactly 6 digits.", retry: "never" },
  VOLLY_E_PROFILE_MISSING: {
    http: 404,
    close: 4000,
    message: "No profile here; run `volly init` first.",
    retry: "never",
  },
  VOLLY_E_PROFILE_EXISTS: {
    http: 409,
    close: 4000,
    message: "A profile already exists here.",
    retry: "never",
  },
  VOLLY_E_PROFILE_LOCKED: {
    http: 423,
    close: 4000,
    message: "The profile is sealed; a PIN is needed to open it.",
    retry: "never",
  },
  VOLLY_E_INVITE_INVALID: {
    http: 400,
    close: 4000,
    message: "The invite link is malformed or its signature is wrong.",
    retry: "never",
  },
  VOLLY_E_INVITE_EXPIRED: { http: 400, close: 4000, message: "The invite link has expired.", retry: "never" },
  VOLLY_E_INVITE_KEY_MISMATCH: {
    http: 400,
    close: 4000,
    message: "The server's key for the inviter does not match the invite's fingerprint.",
    retry: "never",
  },
  VOLLY_E_UNKNOWN_CONVERSATION: {
    http: 404,
    close: 4000,
    message: "No such conversation in this profile.",
    retry: "never",
  },
  VOLLY_E_SERVER_UNREACHABLE: {
    http: 503,
    close: 4000,
    message: "The server cannot be reached.",
    retry: "later",
  },
  VOLLY_E_PEER_UNREACHABLE: {
    http: 503,
    close: 4000,
    message: "No direct path to the member device could be opened.",
    retry: "later",
  },
  VOLLY_E_FEDERATION_SIGNATURE_INVALID: {
    http: 401,
    close: 4003,
    message: "The server-to-server request is not signed by the server it names (RFC 9421).",
    retry: "never",
  },
  VOLLY_E_FEDERATION_STALE: {
    http: 401,
    close: 4003,
    message: "The server-to-server request's signature is too old or from the future.",
    retry: "never",
  },
  VOLLY_E_FEDERATION_REPLAYED: {
    http: 401,
    close: 4003,
    message: "The server-to-server request's nonce was seen before.",
    retry: "never",
  },
  VOLLY_E_FEDERATION_BLOCKED: {
    http: 403,
    close: 4003,
    message: "This server does not federate with that server.",
    retry: "never",
  },
  VOLLY_E_FEDERATION_UNREACHABLE: {
    http: 502,
    close: 4000,
    message: "The other server could not be reached or gave an invalid answer.",
    retry: "later",
  },
  VOLLY_E_DECRYPT_FAILED: {
    http: 400,
    close: 4000,
    message: "A message could not be decrypted.",
    retry: "never",
  },
  VOLLY_E_USAGE: { http: 400, close: 4000, message: "Invalid command-line usage.", retry: "never" },
} as const satisfies Record<string, { http: number; close: number; message: string; retry: RetryClass }>;

/** A registered error code, e.g. `"VOLLY_E_STALE_EPOCH"`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The JSON body of every error: REST responses, gateway ERROR frames and CLI `--json` failures. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Optional machine-readable details, e.g. `{ currentEpoch }` for VOLLY_E_STALE_EPOCH. */
  details?: Record<string, unknown>;
}

/** The brand of {@link VollyError}s, shared by every copy of this module (a registered symbol). */
const VOLLY_ERROR_BRAND = Symbol.for("volly.error");

/**
 * A typed Volly error: `code` is from {@link ERROR_CODES}; `message` defaults to the registry's.
 * Thrown by every layer for expected failures; anything else is a bug and maps to VOLLY_E_INTERNAL.
 */
export class VollyError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** Marks a VollyError of any copy of this module (see `Symbol.hasInstance` below). */
  readonly [VOLLY_ERROR_BRAND] = true;

  /**
   * `x instanceof VollyError` holds for a VollyError made by any copy of @volly/protocol, not only
   * this one: the bundled CLI carries its own copy, and the server it starts in-process throws
   * errors made by another. Subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic lint/complexity/noUselessThisAlias: `this` is the class instanceof asks about (a subclass too)
    const asked: unknown = this;
    if (asked === VollyError && typeof value === "object" && value !== null && VOLLY_ERROR_BRAND in value) {
      return true;
    }
    return Function.prototype[Symbol.hasInstance].call(asked, value);
  }

  /**
   * @param code a registered error code
   * @param message a more specific message (defaults to the registry's)
   * @param details machine-readable context returned with the error
   */
  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CODES[code].message);
    this.name = "VollyError";
    this.code = code;
    this.details = details;
  }

  /** HTTP status for this error (REST v1). */
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  /** WebSocket close code for this error when it ends a gateway connection (RFC 6455 §7.4.2). */
  get closeCode(): number {
    return ERROR_CODES[this.code].close;
  }

  /** The wire form of this error. */
  toBody(): ErrorBody {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

/** True when `code` is a registered error code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/**
 * The retry class of an error (see {@link RetryClass}): the registry's `retry` for a VollyError, or
 * for a code; `"never"` for anything else (a bug or a local failure such as a broken store is not
 * cured by resending). The one place that decides whether failed work is kept for a retry, and
 * whether a new session may help.
 *
 * @param error a thrown value, or an error code
 */
export function retryClass(error: unknown): RetryClass {
  const code = error instanceof VollyError ? error.code : error;
  return isErrorCode(code) ? ERROR_CODES[code].retry : "never";
}
