import { type Static, Type } from "@sinclair/typebox";
import { BlobId, SendBlobIds } from "./attachments.js";
import {
  Base64Url,
  EntityType,
  Handle,
  Id,
  LocalHandle,
  PublicKey,
  ServerName,
  Timestamp,
} from "./common.js";
import { LIMITS } from "./limits.js";
import { ClaimKeyPackagesBody, ClaimKeyPackagesResponse, CommitBody, SendMessageBody } from "./rest.js";

/**
 * Federation: the server-to-server API (`docs/architecture.md` "Federation"). A group lives on one
 * hub server, the one it was created on, which alone orders its commits and messages (IETF MIMI's
 * hub/follower model); the home server of each member device relays for it: it forwards the device's
 * sends and commits to the hub, mirrors the hub's log for its devices, and answers for its accounts'
 * directory entries and key packages. Every request under {@link FEDERATION_PREFIX} is signed by the
 * calling server (HTTP Message Signatures, RFC 9421) with a key its {@link ServerDocument} publishes.
 */

/** Where a server publishes its {@link ServerDocument} (RFC 8615 well-known URI). */
export const FEDERATION_WELL_KNOWN_PATH = "/.well-known/volly-server";

/** The path prefix of every server-to-server route. */
export const FEDERATION_PREFIX = "/federation/v1";

/** A key id: 1–64 characters, base64url alphabet. */
export const FederationKeyId = Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" });

/**
 * What a server says of itself at {@link FEDERATION_WELL_KNOWN_PATH}: its name, where its federation
 * API is, and the Ed25519 keys its requests are signed with.
 */
export const ServerDocument = Type.Object(
  {
    v: Type.Literal(1),
    name: ServerName,
    /** Base URL of the federation API (its routes are under `${federationUrl}${FEDERATION_PREFIX}`). */
    federationUrl: Type.String({ pattern: "^https?://[^\\s/]+$", maxLength: 300 }),
    keys: Type.Array(
      Type.Object({ keyId: FederationKeyId, publicKey: PublicKey }, { additionalProperties: false }),
      {
        minItems: 1,
        maxItems: 4,
      },
    ),
  },
  { additionalProperties: false },
);
export type ServerDocument = Static<typeof ServerDocument>;

/** A device of an account, as its home server describes it to other servers. */
export const FederatedDevice = Type.Object(
  { deviceId: Id, signaturePublicKey: PublicKey },
  { additionalProperties: false },
);
export type FederatedDevice = Static<typeof FederatedDevice>;

/**
 * An account as its home server describes it (GET /federation/v1/accounts/:handle): its handle there
 * (bare) and its active devices. `movedTo` names the handle the account moved to, when it did.
 */
export const FederatedAccount = Type.Object(
  {
    accountId: Id,
    handle: LocalHandle,
    entityType: EntityType,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    devices: Type.Array(FederatedDevice, { maxItems: 100 }),
    movedTo: Type.Optional(Handle),
  },
  { additionalProperties: false },
);
export type FederatedAccount = Static<typeof FederatedAccount>;

/** Params of GET /federation/v1/accounts/:handle (a handle of the server asked). */
export const FederatedAccountParams = Type.Object({ handle: LocalHandle }, { additionalProperties: false });

/** A device the hub names in a log page: whose it is and where its account lives. */
export const FederatedDeviceRef = Type.Object(
  {
    deviceId: Id,
    accountId: Id,
    /** The account's handle on its home server (bare). */
    user: LocalHandle,
    /** The account's home server. */
    server: ServerName,
    entityType: EntityType,
    signaturePublicKey: PublicKey,
  },
  { additionalProperties: false },
);
export type FederatedDeviceRef = Static<typeof FederatedDeviceRef>;

/** A claim of key packages a home server answers for one of its accounts' devices. */
export const FederatedClaimBody = Type.Object(
  {
    /** The claiming device and account, of the calling server (its handle there, bare). */
    claimer: Type.Object(
      { accountId: Id, deviceId: Id, handle: LocalHandle },
      { additionalProperties: false },
    ),
    deviceIds: ClaimKeyPackagesBody.properties.deviceIds,
    reason: ClaimKeyPackagesBody.properties.reason,
  },
  { additionalProperties: false },
);
export type FederatedClaimBody = Static<typeof FederatedClaimBody>;
export { ClaimKeyPackagesResponse as FederatedClaimResponse };

/** A group id in a federation route's path. */
export const FederatedGroupParams = Type.Object({ groupId: Id }, { additionalProperties: false });

/** A member device's message, forwarded by its home server to the group's hub. */
export const ForwardedMessageBody = Type.Object(
  { deviceId: Id, message: SendMessageBody },
  { additionalProperties: false },
);
export type ForwardedMessageBody = Static<typeof ForwardedMessageBody>;

/** Most messages one forwarding request carries. */
export const MAX_FORWARDED_MESSAGES = 100;

/**
 * Messages of member devices of one server, forwarded to the group's hub in the order they reached
 * their home server; the hub appends them in that order.
 */
export const ForwardedMessagesBody = Type.Object(
  { messages: Type.Array(ForwardedMessageBody, { minItems: 1, maxItems: MAX_FORWARDED_MESSAGES }) },
  { additionalProperties: false },
);
export type ForwardedMessagesBody = Static<typeof ForwardedMessagesBody>;

/** The hub's answer per forwarded message, in order: its place in the log, or why it was refused. */
export const ForwardedMessagesResponse = Type.Object(
  {
    results: Type.Array(
      Type.Union([
        Type.Object(
          { seq: Type.Integer({ minimum: 1 }), duplicate: Type.Boolean() },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            error: Type.Object(
              {
                code: Type.String({ pattern: "^VOLLY_E_[A-Z_]+$" }),
                message: Type.String({ maxLength: 1000 }),
                details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
              },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
      ]),
      { maxItems: MAX_FORWARDED_MESSAGES },
    ),
  },
  { additionalProperties: false },
);
export type ForwardedMessagesResponse = Static<typeof ForwardedMessagesResponse>;

/**
 * A member device's commit, forwarded by its home server to the group's hub, with the handles of the
 * devices it adds so the hub can look up those of accounts it does not know at their home servers.
 */
export const ForwardedCommitBody = Type.Object(
  {
    deviceId: Id,
    commit: CommitBody,
    added: Type.Array(Type.Object({ deviceId: Id, handle: Handle }, { additionalProperties: false }), {
      maxItems: 1000,
    }),
  },
  { additionalProperties: false },
);
export type ForwardedCommitBody = Static<typeof ForwardedCommitBody>;

/**
 * A blob of a group, fetched by another server (GET /federation/v1/groups/:groupId/blobs/:blobId,
 * answered with the ciphertext as `application/octet-stream`): by the hub from the home server of
 * the member who sent it, and by a follower from the hub when one of its devices first reads it.
 */
export const FederatedBlobParams = Type.Object(
  { groupId: Id, blobId: BlobId },
  { additionalProperties: false },
);
export type FederatedBlobParams = Static<typeof FederatedBlobParams>;

/** A member device's departure or deletion of its message, forwarded to the hub. */
export const ForwardedDeviceBody = Type.Object(
  { deviceId: Id, messageId: Type.Optional(Id) },
  { additionalProperties: false },
);
export type ForwardedDeviceBody = Static<typeof ForwardedDeviceBody>;

/**
 * Body of POST /federation/v1/groups/:groupId/cursors, from a follower to the group's hub: where its
 * devices' delivery stands (each acknowledged the log up to `seq`), so the hub's retention can prune
 * what every member device has (RFC 9420 leaves retention to the delivery service).
 */
export const FederatedCursorsBody = Type.Object(
  {
    cursors: Type.Array(
      Type.Object({ deviceId: Id, seq: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);
export type FederatedCursorsBody = Static<typeof FederatedCursorsBody>;

/**
 * Body of POST /federation/v1/groups/:groupId/removals, from the group's hub to each follower: these
 * application messages were deleted for everyone, so the follower deletes its copies of them (and of
 * the files only they pointed at). Retried until answered; removing what is gone already is no error.
 */
export const FederatedRemovalsBody = Type.Object(
  { messageIds: Type.Array(Id, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);
export type FederatedRemovalsBody = Static<typeof FederatedRemovalsBody>;

/**
 * Query of a group's latest GroupInfo and ratchet tree (resync, RFC 9420 §12.4.3.2), for a member
 * device of the calling server.
 */
export const GroupInfoQuery = Type.Object({ deviceId: Id }, { additionalProperties: false });
export type GroupInfoQuery = Static<typeof GroupInfoQuery>;

/** Query of a log page: the entries after `after`, at most `limit`. */
export const LogPageQuery = Type.Object(
  {
    after: Type.Integer({ minimum: 0 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type LogPageQuery = Static<typeof LogPageQuery>;

/** One entry of a hub's group log as followers mirror it (same seq, same ciphertext). */
export const FederatedLogEntry = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    kind: Type.Union([Type.Literal("commit"), Type.Literal("application"), Type.Literal("departure")]),
    messageId: Id,
    senderDeviceId: Id,
    epoch: Type.Integer({ minimum: 0 }),
    payload: Base64Url(4_000_000),
    createdAt: Timestamp,
    /**
     * The blobs the message points at (its SEND's `blobIds`): a follower records them, so its
     * devices in the group may download them (fetched from the hub on first read).
     */
    blobIds: Type.Optional(SendBlobIds),
  },
  { additionalProperties: false },
);
export type FederatedLogEntry = Static<typeof FederatedLogEntry>;

/** A device's membership in the group as of a log page's last entry. */
export const FederatedMembership = Type.Object(
  {
    deviceId: Id,
    joinedSeq: Type.Integer({ minimum: 0 }),
    leftSeq: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type FederatedMembership = Static<typeof FederatedMembership>;

/**
 * A page of a hub's group log (GET /federation/v1/groups/:groupId/log): its entries after the
 * asked seq, the group's state as of the page's last entry (`upToSeq`), every membership as of then,
 * and every device the page names (senders and members).
 */
export const LogPage = Type.Object(
  {
    groupId: Id,
    upToSeq: Type.Integer({ minimum: 0 }),
    epoch: Type.Integer({ minimum: 0 }),
    /** The hub's last seq: more pages follow while it is past `upToSeq`. */
    lastSeq: Type.Integer({ minimum: 0 }),
    entries: Type.Array(FederatedLogEntry, { maxItems: 1000 }),
    /**
     * Every membership as of `upToSeq`. Absent when the page holds no commit or departure and does
     * not start the log (`after` > 0): memberships are then those of the follower's copy.
     */
    memberships: Type.Optional(Type.Array(FederatedMembership, { maxItems: 10_000 })),
    devices: Type.Array(FederatedDeviceRef, { maxItems: 20_000 }),
    /** The group's admins; absent with `memberships`. */
    adminAccountIds: Type.Optional(Type.Array(Id, { maxItems: 10_000 })),
  },
  { additionalProperties: false },
);
export type LogPage = Static<typeof LogPage>;

/** A Welcome the hub hands a home server for its devices that a commit added (RFC 9420 §12.4.3.1). */
export const FederatedWelcome = Type.Object(
  {
    groupId: Id,
    seq: Type.Integer({ minimum: 1 }),
    epoch: Type.Integer({ minimum: 0 }),
    senderDeviceId: Id,
    /** The added devices of the receiving server, each with the id of its inbox entry at the hub. */
    recipients: Type.Array(Type.Object({ deviceId: Id, welcomeId: Id }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 1000,
    }),
    welcome: Base64Url(4_000_000),
    ratchetTree: Base64Url(4_000_000),
  },
  { additionalProperties: false },
);
export type FederatedWelcome = Static<typeof FederatedWelcome>;

/**
 * The hub's note that a group's log grew to `lastSeq`. With `page` (the entries after `after`) the
 * follower applies it at once when its copy ends at `after`; else (or without it) it fetches what it
 * lacks.
 */
export const LogNotice = Type.Object(
  {
    lastSeq: Type.Integer({ minimum: 0 }),
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    page: Type.Optional(LogPage),
  },
  { additionalProperties: false },
);
export type LogNotice = Static<typeof LogNotice>;

/**
 * A member device's typing notice or ephemeral MLS message (call and direct-path signaling), relayed
 * between its home server and the group's hub and on to the other followers; never stored.
 */
export const FederatedSignal = Type.Union([
  Type.Object({ kind: Type.Literal("typing"), deviceId: Id }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal("ephemeral"),
      deviceId: Id,
      epoch: Type.Integer({ minimum: 0 }),
      ciphertext: Base64Url(LIMITS.maxEphemeralChars),
    },
    { additionalProperties: false },
  ),
]);
export type FederatedSignal = Static<typeof FederatedSignal>;

/** An account's chosen status as it crosses servers (see the presence channel of the server). */
const FederatedChosenStatus = Type.Object(
  {
    status: Type.Union([Type.Literal("online"), Type.Literal("idle"), Type.Literal("dnd")]),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    until: Type.Optional(Timestamp),
    setAt: Timestamp,
  },
  { additionalProperties: false },
);

/** Most presence views one request carries. */
export const MAX_FEDERATED_PRESENCE_VIEWS = 500;

/**
 * The presence of accounts of the calling server, for the servers of the accounts that share a
 * conversation with them. A view not repeated within the receiver's presence TTL (30 s) expires, so a
 * server that dies takes its accounts offline. An invisible account is sent as "offline".
 */
export const FederatedPresence = Type.Object(
  {
    views: Type.Array(
      Type.Object(
        {
          accountId: Id,
          status: Type.Union([
            Type.Literal("online"),
            Type.Literal("idle"),
            Type.Literal("away"),
            Type.Literal("offline"),
          ]),
          chosen: Type.Optional(FederatedChosenStatus),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_FEDERATED_PRESENCE_VIEWS },
    ),
  },
  { additionalProperties: false },
);
export type FederatedPresence = Static<typeof FederatedPresence>;

/** Nothing to answer. */
export const FederationEmpty = Type.Object({}, { additionalProperties: false });
