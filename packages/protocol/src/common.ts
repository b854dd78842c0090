import { type Static, Type } from "@sinclair/typebox";
import { HANDLE_PATTERN, ID_PATTERN } from "./ids.js";

/** A 128-bit random id as 22 base64url characters. */
export const Id = Type.String({ pattern: ID_PATTERN, description: "128-bit random id, 22 base64url chars" });

/** A handle: 3–32 characters, a–z, 0–9, '_', '.', '-'. */
export const Handle = Type.String({ pattern: HANDLE_PATTERN, description: "account handle" });

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
