import { type Static, Type } from "@sinclair/typebox";
import { HANDLE_PATTERN, ID_PATTERN, QUALIFIED_HANDLE_PATTERN, SERVER_NAME_PATTERN } from "./ids.js";

/** A 128-bit random id as 22 base64url characters. */
export const Id = Type.String({ pattern: ID_PATTERN, description: "128-bit random id, 22 base64url chars" });

/**
 * A handle as a server shows it: `user` for its own accounts (3–32 characters, a–z, 0–9, '_', '.',
 * '-'), `user@server` for another server's (federation).
 */
export const Handle = Type.String({
  pattern: QUALIFIED_HANDLE_PATTERN,
  maxLength: 300,
  description: "account handle: user, or user@server for another server's account",
});

/** A handle on the server that is asked (registration, invites): 3–32 characters, a–z, 0–9, '_', '.', '-'. */
export const LocalHandle = Type.String({
  pattern: HANDLE_PATTERN,
  description: "account handle on this server",
});

/** A server's name: its public host, with the port when the URL names one ("a.example:8443"). */
export const ServerName = Type.String({
  pattern: SERVER_NAME_PATTERN,
  maxLength: 261,
  description: "server name: public host[:port]",
});

/** Unpadded base64url bytes (RFC 4648 §5). `maxLength` bounds the encoded length. */
export const Base64Url = (maxLength: number, description?: string) =>
  Type.String({ pattern: "^[A-Za-z0-9_-]*$", maxLength, ...(description ? { description } : {}) });

/** An Ed25519 public key: 32 bytes, base64url (43 chars). */
export const PublicKey = Type.String({ pattern: "^[A-Za-z0-9_-]{43}$", description: "Ed25519 public key" });

/** An Ed25519 signature: 64 bytes, base64url (86 chars). */
export const SignatureB64 = Type.String({ pattern: "^[A-Za-z0-9_-]{86}$", description: "Ed25519 signature" });

/** Milliseconds since the Unix epoch. */
export const Timestamp = Type.Integer({ minimum: 0, description: "ms since Unix epoch" });

/** The kinds of account Volly knows; all of them are first-class members. */
export const EntityType = Type.Union(
  [
    Type.Literal("human"),
    Type.Literal("bot"),
    Type.Literal("agent"),
    Type.Literal("service"),
    Type.Literal("device"),
  ],
  { description: "what kind of member the account is" },
);
export type EntityType = Static<typeof EntityType>;

/** Error body returned by every failing route and carried by gateway ERROR frames. */
export const ErrorResponse = Type.Object(
  {
    code: Type.String({ pattern: "^VOLLY_E_[A-Z_]+$" }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: "ErrorResponse" },
);
