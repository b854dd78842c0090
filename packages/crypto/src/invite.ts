import {
  fromBase64Url,
  fromUtf8,
  InvitePayload,
  parse,
  toBase64Url,
  utf8,
  VollyError,
} from "@volly/protocol";
import { fingerprint, sign, verify } from "./identity.js";

/** A parsed, structurally valid invite, not yet checked against the directory. */
export interface ParsedInvite {
  payload: InvitePayload;
  /** The exact payload bytes that were signed. */
  signedBytes: Uint8Array;
  signature: Uint8Array;
  /** The token (payload.signature) shared by both link forms. */
  token: string;
}

const APP_PREFIX = "volly://invite/";
/** Upper bound on a token's length: the payload schema caps every field well below this. */
const MAX_TOKEN_LENGTH = 2048;
const TOKEN_PATTERN = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{86})$/;

/**
 * Creates a signed invite link `volly://invite/<token>`, where token = base64url(UTF-8 JSON of
 * `payload`) "." base64url(Ed25519 signature of those exact bytes) (RFC 8032, RFC 4648 §5).
 *
 * @param payload validated against the InvitePayload schema first
 * @param signaturePrivateKey the inviter device's 32-byte Ed25519 seed
 * @throws VollyError VOLLY_E_INVITE_INVALID when `payload` does not match its schema
 */
export function createInvite(payload: InvitePayload, signaturePrivateKey: Uint8Array): string {
  const valid = parse(InvitePayload, payload, "VOLLY_E_INVITE_INVALID");
  // Serialise the fields in a fixed order so equal payloads give equal tokens.
  const canonical: InvitePayload = {
    v: valid.v,
    server: valid.server,
    handle: valid.handle,
    fingerprint: valid.fingerprint,
    expiresAt: valid.expiresAt,
  };
  const signedBytes = utf8(JSON.stringify(canonical));
  const signature = sign(signaturePrivateKey, signedBytes);
  return `${APP_PREFIX}${toBase64Url(signedBytes)}.${toBase64Url(signature)}`;
}

/**
 * The web form of an invite link: `<payload.server>/i/<token>` (an `http:` or `https:` origin).
 * Accepts either link form; expiry is not checked here.
 *
 * @throws VollyError VOLLY_E_INVITE_INVALID when the link cannot be parsed
 */
export function inviteWebUrl(link: string): string {
  const invite = parseInvite(link, Number.NEGATIVE_INFINITY);
  return `${invite.payload.server}/i/${invite.token}`;
}

/**
 * Parses either link form (`volly://invite/<token>` or `<http(s) origin>/i/<token>`), validates
 * the payload against its schema and the expiry. A web link's origin must equal `payload.server`.
 * The signature is only decoded here; {@link verifyInvite} checks it against the directory's key.
 *
 * @param link the link as shared (surrounding whitespace is ignored)
 * @param now current time in ms since the Unix epoch (default `Date.now()`)
 * @throws VollyError VOLLY_E_INVITE_INVALID (malformed link, payload or token) or
 *   VOLLY_E_INVITE_EXPIRED (`payload.expiresAt <= now`)
 */
export function parseInvite(link: string, now: number = Date.now()): ParsedInvite {
  const invalid = (why: string) =>
    new VollyError("VOLLY_E_INVITE_INVALID", `The invite link is malformed: ${why}.`);
  if (typeof link !== "string") throw invalid("not a string");
  const text = link.trim();
  let token: string;
  let webOrigin: string | undefined;
  if (text.startsWith(APP_PREFIX)) {
    token = text.slice(APP_PREFIX.length);
  } else {
    const match = /^(https?:\/\/[^\s/]+)\/i\/([^/?#\s]+)$/.exec(text);
    if (!match) throw invalid("not a Volly invite link");
    webOrigin = match[1]!;
    token = match[2]!;
  }
  if (token.length > MAX_TOKEN_LENGTH) throw invalid("token too long");
  const parts = TOKEN_PATTERN.exec(token);
  if (!parts) throw invalid("bad token");
  let signedBytes: Uint8Array;
  let signature: Uint8Array;
  let json: unknown;
  try {
    signedBytes = fromBase64Url(parts[1]!);
    signature = fromBase64Url(parts[2]!);
    json = JSON.parse(fromUtf8(signedBytes));
  } catch {
    throw invalid("token is not base64url JSON");
  }
  if (signature.length !== 64) throw invalid("bad signature length");
  const payload = parse(InvitePayload, json, "VOLLY_E_INVITE_INVALID");
  if (webOrigin !== undefined && webOrigin.toLowerCase() !== payload.server.toLowerCase()) {
    throw invalid("the link's origin is not the invite's server");
  }
  if (payload.expiresAt <= now) throw new VollyError("VOLLY_E_INVITE_EXPIRED");
  return { payload, signedBytes, signature, token };
}

/**
 * Checks that `signaturePublicKey` (the inviter's key as the directory reports it) matches the
 * invite's fingerprint (SHA-256, base64url), then verifies the Ed25519 signature (RFC 8032 §5.1.7)
 * over the exact signed payload bytes.
 *
 * @throws VollyError VOLLY_E_INVITE_KEY_MISMATCH (the directory's key is not the one the invite
 *   names: a lying server or a changed key) or VOLLY_E_INVITE_INVALID (bad signature)
 */
export function verifyInvite(invite: ParsedInvite, signaturePublicKey: Uint8Array): void {
  if (signaturePublicKey.length !== 32 || fingerprint(signaturePublicKey) !== invite.payload.fingerprint) {
    throw new VollyError("VOLLY_E_INVITE_KEY_MISMATCH");
  }
  if (!verify(signaturePublicKey, invite.signedBytes, invite.signature)) {
    throw new VollyError("VOLLY_E_INVITE_INVALID", "The invite's signature does not verify.");
  }
}
