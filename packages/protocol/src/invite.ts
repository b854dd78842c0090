import { type Static, Type } from "@sinclair/typebox";
import { LocalHandle, Timestamp } from "./common.js";

/**
 * The signed body of an invite link. Links take two forms carrying the same token:
 * `volly://invite/<token>` and `<server>/i/<token>`, where token = base64url(JSON payload) + "." +
 * base64url(Ed25519 signature of the payload bytes by the inviter's device key).
 */
export const InvitePayload = Type.Object(
  {
    v: Type.Literal(1),
    server: Type.String({
      pattern: "^https?://[^\\s/]+$",
      maxLength: 256,
      description: "origin of the inviter's server",
    }),
    handle: LocalHandle,
    fingerprint: Type.String({
      pattern: "^[A-Za-z0-9_-]{43}$",
      description: "SHA-256 of the inviter's Ed25519 identity key, base64url",
    }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type InvitePayload = Static<typeof InvitePayload>;
