import { type Static, Type } from "@sinclair/typebox";
import { CallSessionDescription } from "./calls.js";
import { Base64Url, Handle, Id, Timestamp } from "./common.js";
import { EphemeralMessageEvent } from "./ephemeral.js";

/**
 * Direct paths between member devices (DESIGN.md "P2P and federation"; issue 17): WebRTC data
 * channels signaled inside MLS — as ephemeral MLS content relayed by the server, or sent straight
 * to a device found on the LAN (its rendezvous port, announced by mDNS) — carry the same MLS
 * ciphertexts, under the same message ids, as the server's log. The server's log stays the source
 * of truth and the only ordering authority for commits: a direct path carries application messages
 * (and typing) only, and receivers drop the copy that arrives second by id.
 */

/** Bounds of direct-path content and frames. */
export const P2P_LIMITS = {
  /** How many member devices a relayed message may still cross after the first (RFC-free choice). */
  maxHops: 4,
  /** Longest data-channel frame (characters of JSON): one message's ciphertext and its envelope. */
  maxFrameChars: 256 * 1024,
  /** Longest MLS ciphertext one direct message frame carries (base64url characters). */
  maxPayloadChars: 200 * 1024,
} as const;

/** The envelope fields of every content kind: version, the content's id, when it was sent (ms). */
const envelope = { v: Type.Literal(1), id: Id, sentAt: Timestamp } as const;

/** A TCP port on the sender's LAN address where it takes rendezvous frames (signaling, no server). */
const RendezvousPort = Type.Integer({ minimum: 1, maximum: 65_535 });

/**
 * The sender's mDNS instance name on the LAN (16 hex characters, new each time it starts): a device
 * that sees a new instance at an address it has a path to knows the old path is stale.
 */
const LanInstance = Type.String({ pattern: "^[0-9a-f]{16}$" });

/**
 * A device offers a direct path (`p2p.hello`, ephemeral): every member device that wants one and
 * has none to the sender answers with a `p2p.sdp` offer addressed to it (a path it still has to the
 * sender is stale: the sender would not ask otherwise). Sent to the group through the server, or to
 * one device found on the LAN (then `rendezvousPort` says where to answer, `lanInstance` who asks).
 */
export const P2pHelloContent = Type.Object({
  ...envelope,
  type: Type.Literal("p2p.hello"),
  rendezvousPort: Type.Optional(RendezvousPort),
  lanInstance: Type.Optional(LanInstance),
});
export type P2pHelloContent = Static<typeof P2pHelloContent>;

/**
 * A WebRTC offer or answer for one device (`toDevice`) of a direct-path `session` (the offerer's
 * random id). Non-trickle: the description carries every ICE candidate (RFC 8829 §5.2.1). The DTLS
 * fingerprint in it binds the data channel to the MLS-authenticated sender (RFC 8842 §5).
 */
export const P2pSdpContent = Type.Object({
  ...envelope,
  type: Type.Literal("p2p.sdp"),
  session: Id,
  toDevice: Id,
  description: CallSessionDescription,
  rendezvousPort: Type.Optional(RendezvousPort),
  lanInstance: Type.Optional(LanInstance),
});
export type P2pSdpContent = Static<typeof P2pSdpContent>;

/** Every ephemeral direct-path signaling kind. */
export const P2pSignalContent = Type.Union([P2pHelloContent, P2pSdpContent]);
export type P2pSignalContent = Static<typeof P2pSignalContent>;

/**
 * One application message over a direct path: the MLS ciphertext (mls_private_message, RFC 9420
 * §6.3) the sender's outbox also sends to the server, with the envelope the server's log entry
 * would have. `hops` is how many more member devices may relay it (store and forward; receivers
 * drop it when 0 and never relay a message twice). The receiver trusts none of the envelope until
 * MLS says so: the decrypted sender must be `senderDeviceId`/`senderAccountId` and the content id
 * `messageId`.
 */
export const DirectMessageFrame = Type.Object(
  {
    t: Type.Literal("message"),
    groupId: Id,
    messageId: Id,
    epoch: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    senderDeviceId: Id,
    senderAccountId: Id,
    senderHandle: Handle,
    payload: Base64Url(P2P_LIMITS.maxPayloadChars, "MLSMessage with wireformat mls_private_message"),
    createdAt: Timestamp,
    hops: Type.Integer({ minimum: 0, maximum: P2P_LIMITS.maxHops }),
  },
  { additionalProperties: false },
);
export type DirectMessageFrame = Static<typeof DirectMessageFrame>;

/** The sender is typing in a group (what the gateway's TYPING frame says, over a direct path). */
export const DirectTypingFrame = Type.Object(
  { t: Type.Literal("typing"), groupId: Id, handle: Handle },
  { additionalProperties: false },
);
export type DirectTypingFrame = Static<typeof DirectTypingFrame>;

/** Every frame of a direct data channel (JSON text messages). */
export const DirectFrame = Type.Union([DirectMessageFrame, DirectTypingFrame]);
export type DirectFrame = Static<typeof DirectFrame>;

/**
 * A frame of the LAN rendezvous (a TCP port announced by mDNS): one ephemeral MLS message — a
 * `p2p.hello` or `p2p.sdp` sealed for the group — with the sender's claimed identity, which the
 * receiver checks against the MLS credential (the same shape as EPHEMERAL_MESSAGE).
 */
export const RendezvousFrame = Type.Object(EphemeralMessageEvent.properties, { additionalProperties: false });
export type RendezvousFrame = Static<typeof RendezvousFrame>;
