import { type Static, Type } from "@sinclair/typebox";
import { Base64Url, Handle, Id } from "./common.js";
import { LIMITS } from "./limits.js";

/**
 * Ephemeral MLS content (DESIGN.md "Calls"): an MLS application message relayed by the server to
 * the group's member devices that are connected right now, and to no one else — never stored,
 * never logged, never delivered later. Call signaling travels this way. The server checks only
 * that the sender's device may send to the group; it cannot read the content.
 */

/** The ciphertext of one ephemeral message: an MLSMessage of wireformat mls_private_message. */
const EphemeralCiphertext = Base64Url(
  LIMITS.maxEphemeralChars,
  "MLSMessage with wireformat mls_private_message (RFC 9420 §6.3), relayed and never stored",
);

/** Body of POST /v1/groups/:groupId/ephemeral. */
export const SendEphemeralBody = Type.Object(
  {
    epoch: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: "the epoch the message was encrypted in (not past the group's current one)",
    }),
    ciphertext: EphemeralCiphertext,
  },
  { additionalProperties: false },
);
export type SendEphemeralBody = Static<typeof SendEphemeralBody>;

/**
 * The answer to POST /v1/groups/:groupId/ephemeral (HTTP 202): the message was handed to the
 * server's bus for the group's connected devices. Nothing says whether any device received it.
 */
export const SendEphemeralResponse = Type.Object({}, { additionalProperties: false });
export type SendEphemeralResponse = Static<typeof SendEphemeralResponse>;

/**
 * EPHEMERAL_MESSAGE dispatch: an ephemeral message of one of the device's groups, sent by another
 * member device while this one was connected. It has no seq and is never acknowledged or
 * dispatched again; the device decrypts it with the group's state (its ratchet advances).
 */
export const EphemeralMessageEvent = Type.Object({
  groupId: Id,
  senderDeviceId: Id,
  senderAccountId: Id,
  senderHandle: Handle,
  epoch: Type.Integer({ minimum: 0 }),
  ciphertext: EphemeralCiphertext,
});
export type EphemeralMessageEvent = Static<typeof EphemeralMessageEvent>;
