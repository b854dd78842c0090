import { type Static, Type } from "@sinclair/typebox";
import { Base64Url, Handle, Id, PublicKey, SignatureB64, Timestamp } from "./common.js";

/**
 * Device linking (adding a device to an account, as Signal's linked devices):
 * 1. the existing device creates a link (POST /v1/device-links) and shows a pairing code
 *    `volly-link:<server origin>/<linkId>.<secret>` (and its QR); `secret` is 16 random bytes that
 *    never reach the server; the link is valid 15 minutes and single use;
 * 2. the new device generates its identity and claims the link with its key, a proof
 *    HMAC-SHA256(secret, signingInput.linkClaim(linkId, key)) — so the server cannot substitute a
 *    key of its own — and a signature by the new key;
 * 3. the existing device receives DEVICE_LINK_CLAIMED, checks the proof, and approves with a
 *    signature over signingInput.linkApprove(accountId, linkId, key); the server registers the
 *    device; the existing device then adds it to every conversation of the account. Or it declines
 *    (POST /v1/device-links/:linkId/decline): nothing is registered, the link can be neither claimed
 *    nor approved again, and the new device's poll sees "declined" at once.
 *
 * Both devices show the SHA-256 fingerprint of the new key (`fingerprint` in @volly/crypto), so the
 * user can check that the device asking for approval is the one in their hand.
 */
export const CreateDeviceLinkResponse = Type.Object({ linkId: Id, expiresAt: Timestamp });
export type CreateDeviceLinkResponse = Static<typeof CreateDeviceLinkResponse>;

export const DeviceLinkParams = Type.Object({ linkId: Id }, { additionalProperties: false });

export const ClaimDeviceLinkBody = Type.Object(
  {
    signaturePublicKey: PublicKey,
    name: Type.String({ minLength: 1, maxLength: 64 }),
    proof: Base64Url(43, "HMAC-SHA256(secret, signingInput.linkClaim(linkId, key)), 32 bytes"),
    signature: SignatureB64,
  },
  { additionalProperties: false },
);
export type ClaimDeviceLinkBody = Static<typeof ClaimDeviceLinkBody>;

/**
 * A link's status: open → claimed → approved or declined (both final); "expired" once its TTL passed
 * while still open or claimed.
 */
export const DeviceLinkStatus = Type.Object({
  linkId: Id,
  status: Type.Union([
    Type.Literal("open"),
    Type.Literal("claimed"),
    Type.Literal("approved"),
    Type.Literal("declined"),
    Type.Literal("expired"),
  ]),
  expiresAt: Timestamp,
  /** Set once approved. */
  deviceId: Type.Optional(Id),
  accountId: Type.Optional(Id),
  handle: Type.Optional(Handle),
});
export type DeviceLinkStatus = Static<typeof DeviceLinkStatus>;

export const ApproveDeviceLinkBody = Type.Object(
  { signature: SignatureB64 },
  {
    additionalProperties: false,
    description: "signature over signingInput.linkApprove(accountId, linkId, key)",
  },
);
export type ApproveDeviceLinkBody = Static<typeof ApproveDeviceLinkBody>;
export const ApproveDeviceLinkResponse = Type.Object({ deviceId: Id });
export type ApproveDeviceLinkResponse = Static<typeof ApproveDeviceLinkResponse>;

/** Dispatched to the live sessions of the linking account's devices when a link is claimed. */
export const DeviceLinkClaimedEvent = Type.Object({
  linkId: Id,
  signaturePublicKey: PublicKey,
  name: Type.String(),
  proof: Base64Url(43),
});
export type DeviceLinkClaimedEvent = Static<typeof DeviceLinkClaimedEvent>;

/** Revoking a device ends its memberships (a departure in each group) and its sessions. */
export const RevokeDeviceResponse = Type.Object({
  deviceId: Id,
  departures: Type.Integer({ minimum: 0, description: "groups the device was removed from" }),
});
export type RevokeDeviceResponse = Static<typeof RevokeDeviceResponse>;
