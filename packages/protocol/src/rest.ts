import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { ImportAccountBody, ImportAccountResponse } from "./account-move.js";
import { API_KEY_ROUTES, ApiKeyText } from "./api-keys.js";
import { SendBlobIds } from "./attachments.js";
import {
  Base64Url,
  EntityType,
  Handle,
  Id,
  LocalHandle,
  PublicKey,
  SignatureB64,
  Timestamp,
} from "./common.js";
import { COMMUNITY_ROUTES } from "./communities.js";
import {
  ApproveDeviceLinkBody,
  ApproveDeviceLinkResponse,
  ClaimDeviceLinkBody,
  CreateDeviceLinkResponse,
  DeviceLinkParams,
  DeviceLinkStatus,
  RevokeDeviceResponse,
} from "./device-links.js";
import { SendEphemeralBody, SendEphemeralResponse } from "./ephemeral.js";
import { FILE_ROUTES } from "./file-routes.js";
import { GrantAdminBody, GroupInfoResponse } from "./group-state.js";
import { CALL_INFRA_ROUTES } from "./ice-servers.js";
import { ID_PATTERN } from "./ids.js";
import { LIMITS } from "./limits.js";
import { MessageDeclaration } from "./message-declaration.js";
import { PresenceStatusResponse, SetPresenceStatusBody } from "./presence.js";
import {
  AccountBackupBody,
  AccountBackupResponse,
  RecoverAccountBody,
  RecoverAccountResponse,
  RecoveryChallengeBody,
  RecoveryChallengeResponse,
  RecoveryRejoinsResponse,
  RecoveryStatusResponse,
  SetRecoveryKeyBody,
} from "./recovery.js";
import { SCHEDULED_ROUTES } from "./scheduled.js";
import { VOICE_ROUTES } from "./voice.js";

/** MLS message bytes (RFC 9420 §6 MLSMessage), base64url. */
const MlsBytes = (description: string) => Base64Url(LIMITS.maxRequestBodyBytes, description);

// ---- accounts and devices (authentication service) ----

/** A human-friendly name shown next to the handle. Visible to the server (directory data). */
const DisplayName = Type.String({
  minLength: 1,
  maxLength: 64,
  description: "display name (directory, not secret)",
});

export const RegisterAccountBody = Type.Object(
  {
    handle: LocalHandle,
    entityType: EntityType,
    displayName: Type.Optional(DisplayName),
    device: Type.Object(
      {
        signaturePublicKey: PublicKey,
        name: Type.String({ minLength: 1, maxLength: 64 }),
      },
      { additionalProperties: false },
    ),
    signature: SignatureB64,
  },
  { additionalProperties: false },
);
export type RegisterAccountBody = Static<typeof RegisterAccountBody>;

export const RegisterAccountResponse = Type.Object({ accountId: Id, deviceId: Id, handle: LocalHandle });
export type RegisterAccountResponse = Static<typeof RegisterAccountResponse>;

export const DeviceEntry = Type.Object({
  deviceId: Id,
  signaturePublicKey: PublicKey,
  name: Type.Optional(
    Type.String({
      description: "only for the account itself (the request's bearer token is one of its devices)",
    }),
  ),
  createdAt: Type.Optional(
    Type.Integer({ minimum: 0, description: "ms since Unix epoch; only for the account itself" }),
  ),
});
export type DeviceEntry = Static<typeof DeviceEntry>;

export const AccountEntry = Type.Object({
  accountId: Id,
  handle: Handle,
  entityType: EntityType,
  displayName: Type.Optional(DisplayName),
  devices: Type.Array(DeviceEntry),
});
export type AccountEntry = Static<typeof AccountEntry>;

/** A new display name for the caller's account (directory data, visible to the server). */
export const UpdateProfileBody = Type.Object({ displayName: DisplayName }, { additionalProperties: false });
export type UpdateProfileBody = Static<typeof UpdateProfileBody>;

/** The caller's account after a profile change. */
export const UpdateProfileResponse = Type.Object({
  accountId: Id,
  handle: Handle,
  displayName: DisplayName,
});
export type UpdateProfileResponse = Static<typeof UpdateProfileResponse>;

export const HandleParams = Type.Object({ handle: Handle }, { additionalProperties: false });
/** A handle on the server asked (registration checks). */
export const LocalHandleParams = Type.Object({ handle: LocalHandle }, { additionalProperties: false });

/** Whether a (valid) handle is free to register. Answered by GET /v1/handles/:handle/availability. */
export const HandleAvailabilityResponse = Type.Object({
  handle: LocalHandle,
  available: Type.Boolean({ description: "true when no account has the handle" }),
});
export type HandleAvailabilityResponse = Static<typeof HandleAvailabilityResponse>;
export const DeviceParams = Type.Object({ deviceId: Id }, { additionalProperties: false });

export const DeviceLookupResponse = Type.Object({
  deviceId: Id,
  accountId: Id,
  handle: Handle,
  displayName: Type.Optional(DisplayName),
  /** What the device's account is (absent from servers older than entity types in look-ups). */
  entityType: Type.Optional(EntityType),
  signaturePublicKey: PublicKey,
});
export type DeviceLookupResponse = Static<typeof DeviceLookupResponse>;

// ---- authentication (signed nonce → bearer session) ----

export const ChallengeBody = Type.Object({ deviceId: Id }, { additionalProperties: false });
export const ChallengeResponse = Type.Object({ nonce: Id, expiresAt: Timestamp });
export type ChallengeResponse = Static<typeof ChallengeResponse>;

export const SessionBody = Type.Object(
  {
    deviceId: Id,
    nonce: Id,
    signature: SignatureB64,
    apiKey: Type.Optional(ApiKeyText),
  },
  { additionalProperties: false },
);
export type SessionBody = Static<typeof SessionBody>;
export const SessionResponse = Type.Object({
  token: Type.String({ minLength: 43, maxLength: 43 }),
  expiresAt: Timestamp,
  accountId: Id,
  deviceId: Id,
});
export type SessionResponse = Static<typeof SessionResponse>;

// ---- key package directory ----

const KeyPackageBytes = Base64Url(64 * 1024, "MLSMessage with wireformat mls_key_package (RFC 9420 §10)");

export const UploadKeyPackagesBody = Type.Object(
  {
    keyPackages: Type.Array(KeyPackageBytes, { maxItems: LIMITS.maxKeyPackagesPerUpload }),
    lastResort: Type.Optional(KeyPackageBytes),
  },
  { additionalProperties: false },
);
export type UploadKeyPackagesBody = Static<typeof UploadKeyPackagesBody>;
export const KeyPackageCountResponse = Type.Object({
  available: Type.Integer({ minimum: 0 }),
  hasLastResort: Type.Boolean(),
});
export type KeyPackageCountResponse = Static<typeof KeyPackageCountResponse>;

/**
 * Why a device claims others' key packages — the server checks it before handing out any package, and
 * rate-limits claims per claimer and per target (see docs/threat-model.md "Key packages"). Devices of
 * the claimer's own account are always covered; the reason must cover every other device:
 *
 * - `conversation`: the claimer's device is a current member of `groupId`, and so is a device of each
 *   target's account (e.g. adding a member's new device);
 * - `invite`: `invite` is the token of an unexpired invite link (`volly://invite/<token>`) signed by a
 *   device of the targets' one account (the server verifies the signature with the key it stores);
 * - `group-add`: the targets are to be added to `groupId`, a group the claimer's device is a current
 *   member of — or a new one it is about to create (no group has that id yet);
 * - `first-contact`: a direct conversation with one account found by handle, without an invite; the
 *   targets are that account's devices. Limited more strictly than the others.
 */
export const ClaimReason = Type.Union(
  [
    Type.Object(
      { type: Type.Literal("conversation"), groupId: Id },
      { additionalProperties: false, description: "a group both the claimer and the targets are in" },
    ),
    Type.Object(
      {
        type: Type.Literal("invite"),
        invite: Type.String({
          pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{86}$",
          maxLength: 2048,
          description: "the invite link's token: base64url(payload) '.' base64url(Ed25519 signature)",
        }),
      },
      { additionalProperties: false, description: "an invite the targets' account signed" },
    ),
    Type.Object(
      { type: Type.Literal("group-add"), groupId: Id },
      {
        additionalProperties: false,
        description: "adding the targets to a group the claimer is in (or is about to create)",
      },
    ),
    Type.Object(
      { type: Type.Literal("first-contact") },
      { additionalProperties: false, description: "a direct conversation with one account, by handle" },
    ),
  ],
  { description: "why the claimer needs these key packages" },
);
export type ClaimReason = Static<typeof ClaimReason>;

export const ClaimKeyPackagesBody = Type.Object(
  {
    deviceIds: Type.Array(Id, { minItems: 1, maxItems: LIMITS.maxDevicesPerClaim, uniqueItems: true }),
    reason: ClaimReason,
  },
  { additionalProperties: false },
);
export type ClaimKeyPackagesBody = Static<typeof ClaimKeyPackagesBody>;
export const ClaimedKeyPackage = Type.Object({
  deviceId: Id,
  keyPackage: KeyPackageBytes,
  lastResort: Type.Boolean(),
});
export type ClaimedKeyPackage = Static<typeof ClaimedKeyPackage>;
export const ClaimKeyPackagesResponse = Type.Object({ keyPackages: Type.Array(ClaimedKeyPackage) });
export type ClaimKeyPackagesResponse = Static<typeof ClaimKeyPackagesResponse>;

// ---- delivery service ----

export const GroupParams = Type.Object({ groupId: Id }, { additionalProperties: false });

export const CreateGroupBody = Type.Object(
  {
    groupId: Id,
    groupInfo: MlsBytes(
      "the epoch-0 GroupInfo with external_pub (RFC 9420 §12.4.3.1), signed by the creating device: the delivery service verifies the group's first commit against it",
    ),
    ratchetTree: MlsBytes("the epoch-0 ratchet tree (RFC 9420 §12.4.3.3): one leaf, the creating device's"),
    channelId: Type.Optional(
      Type.String({
        pattern: ID_PATTERN,
        description:
          "the community channel this group carries: membership then follows the channel's VIEW_CHANNEL (one group per channel, set once)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateGroupBody = Static<typeof CreateGroupBody>;
export const GroupResponse = Type.Object({
  groupId: Id,
  epoch: Type.Integer({ minimum: 0 }),
  lastSeq: Type.Integer({ minimum: 0 }),
  memberDeviceIds: Type.Array(Id),
  /** Accounts allowed to add and remove other accounts' devices; the creator is the first. */
  adminAccountIds: Type.Optional(Type.Array(Id)),
});
export type GroupResponse = Static<typeof GroupResponse>;

export const WelcomeDelivery = Type.Object(
  { deviceId: Id, welcome: MlsBytes("MLSMessage with wireformat mls_welcome (RFC 9420 §12.4.3.1)") },
  { additionalProperties: false },
);

export const CommitBody = Type.Object(
  {
    epoch: Type.Integer({ minimum: 0, description: "the epoch the commit was created in" }),
    commit: MlsBytes(
      "MLSMessage of wireformat mls_public_message carrying the Commit (RFC 9420 §6.2, §12.4), signed by the posting device's leaf",
    ),
    addDeviceIds: Type.Array(Id, { maxItems: LIMITS.maxGroupDevices, uniqueItems: true }),
    removeDeviceIds: Type.Array(Id, { maxItems: LIMITS.maxGroupDevices, uniqueItems: true }),
    welcome: Type.Optional(
      MlsBytes(
        "one MLSMessage with wireformat mls_welcome for every device in addDeviceIds (RFC 9420 §12.4.3.1: one Welcome serves all new members); stored once",
      ),
    ),
    welcomes: Type.Optional(
      Type.Array(WelcomeDelivery, {
        maxItems: LIMITS.maxGroupDevices,
        description:
          "a Welcome per added device (older SDKs; the same bytes repeated); not together with `welcome`",
      }),
    ),
    ratchetTree: MlsBytes("the new epoch's ratchet tree (RFC 9420 §12.4.3.3), served out of band to joiners"),
    groupInfo: MlsBytes(
      "the new epoch's GroupInfo with external_pub (RFC 9420 §12.4.3.1), signed by the committer's leaf: kept for resync by external commit, and what the next commit is verified against",
    ),
  },
  { additionalProperties: false },
);
export type CommitBody = Static<typeof CommitBody>;
export const CommitResponse = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  epoch: Type.Integer({ minimum: 1 }),
});
export type CommitResponse = Static<typeof CommitResponse>;

export const SendMessageBody = Type.Object(
  {
    messageId: Id,
    epoch: Type.Integer({ minimum: 0 }),
    ciphertext: Base64Url(
      LIMITS.maxMessageChars,
      "MLSMessage with wireformat mls_private_message (RFC 9420 §6.3)",
    ),
    declares: Type.Optional(
      Type.Array(MessageDeclaration, {
        maxItems: 2,
        uniqueItems: true,
        description: "what the message carries that needs a permission in a community channel",
      }),
    ),
    blobIds: Type.Optional(SendBlobIds),
  },
  { additionalProperties: false },
);
export type SendMessageBody = Static<typeof SendMessageBody>;
export { MessageDeclaration };
export const SendMessageResponse = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  duplicate: Type.Boolean({ description: "true when this message id was already stored (idempotent retry)" }),
});
export type SendMessageResponse = Static<typeof SendMessageResponse>;

/** One application message of a group's log, by the id its sender gave it. */
export const GroupMessageParams = Type.Object(
  { groupId: Id, messageId: Id },
  { additionalProperties: false },
);
export type GroupMessageParams = Static<typeof GroupMessageParams>;
/** The log entry `messageId` was removed (its seq stays used; devices never see it again). */
export const DeleteMessageResponse = Type.Object({ messageId: Id, seq: Type.Integer({ minimum: 1 }) });
export type DeleteMessageResponse = Static<typeof DeleteMessageResponse>;

export const LeaveGroupResponse = Type.Object({
  seq: Type.Integer({ minimum: 1, description: "log seq of the departure entry" }),
});
export type LeaveGroupResponse = Static<typeof LeaveGroupResponse>;

export const HealthResponse = Type.Object({ status: Type.Literal("ok"), version: Type.String() });
export type HealthResponse = Static<typeof HealthResponse>;

/** Describes one REST route: method, path (Fastify syntax), auth, and the schema of each part. */
export interface RouteSpec {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  summary: string;
  /** true when the route needs `Authorization: Bearer <token>` from POST /v1/auth/session. */
  auth: boolean;
  /** HTTP status of a successful response (default 200; 202 for a request accepted for relay). */
  status?: 200 | 202;
  /**
   * Largest request body the route reads (bytes; default LIMITS.maxRequestBodyBytes): a larger one
   * is refused with 413 VOLLY_E_PAYLOAD_TOO_LARGE before it is parsed.
   */
  maxBodyBytes?: number;
  params?: TSchema;
  body?: TSchema;
  response: TSchema;
}

/**
 * Every REST v1 route. The server registers exactly these with these schemas, the SDK calls them,
 * and `docs/protocol.md` is generated from this table.
 */
export const ROUTES = {
  health: {
    method: "GET",
    path: "/healthz",
    summary: "Liveness and version.",
    auth: false,
    response: HealthResponse,
  },
  registerAccount: {
    method: "POST",
    path: "/v1/accounts",
    summary: "Register an account and its first device by public key (signed proof of possession).",
    auth: false,
    body: RegisterAccountBody,
    response: RegisterAccountResponse,
  },
  importAccount: {
    method: "POST",
    path: "/v1/accounts/import",
    summary:
      "Move an account here from another server (federation): a device's signed move; this server checks it with the old server, which hands the account over, and follows the account's groups.",
    auth: false,
    body: ImportAccountBody,
    response: ImportAccountResponse,
  },
  getAccount: {
    method: "GET",
    path: "/v1/accounts/:handle",
    summary:
      "Directory: an account and its devices' ids and signature keys; device names and creation times only to the account itself (its bearer token).",
    auth: false,
    params: HandleParams,
    response: AccountEntry,
  },
  updateProfile: {
    method: "PUT",
    path: "/v1/accounts/me/profile",
    summary:
      "Set the caller's account's display name (directory data). Clients also send it, encrypted, to their conversations.",
    auth: true,
    body: UpdateProfileBody,
    response: UpdateProfileResponse,
  },
  handleAvailability: {
    method: "GET",
    path: "/v1/handles/:handle/availability",
    summary: "Whether a handle is free to register (a free handle is an answer, not a 404).",
    auth: false,
    params: LocalHandleParams,
    response: HandleAvailabilityResponse,
  },
  getDevice: {
    method: "GET",
    path: "/v1/devices/:deviceId",
    summary: "Directory: the account and key of one device.",
    auth: false,
    params: DeviceParams,
    response: DeviceLookupResponse,
  },
  challenge: {
    method: "POST",
    path: "/v1/auth/challenge",
    summary: "Get a single-use nonce to sign.",
    auth: false,
    body: ChallengeBody,
    response: ChallengeResponse,
  },
  session: {
    method: "POST",
    path: "/v1/auth/session",
    summary: "Exchange a signed nonce for a bearer token.",
    auth: false,
    body: SessionBody,
    response: SessionResponse,
  },
  uploadKeyPackages: {
    method: "POST",
    path: "/v1/key-packages",
    summary: "Upload one-time key packages and optionally replace the last-resort one.",
    auth: true,
    body: UploadKeyPackagesBody,
    response: KeyPackageCountResponse,
  },
  countKeyPackages: {
    method: "GET",
    path: "/v1/key-packages/count",
    summary: "How many unclaimed key packages this device has left.",
    auth: true,
    response: KeyPackageCountResponse,
  },
  claimKeyPackages: {
    method: "POST",
    path: "/v1/key-packages/claim",
    summary:
      "Claim one key package per device (one-time first, else last-resort) for a reason the server checks (body.reason); rate-limited per claimer and per target.",
    auth: true,
    body: ClaimKeyPackagesBody,
    response: ClaimKeyPackagesResponse,
  },
  createGroup: {
    method: "POST",
    path: "/v1/groups",
    summary:
      "Create a group at epoch 0 with the calling device as its only member, from its verified epoch-0 GroupInfo and ratchet tree.",
    auth: true,
    body: CreateGroupBody,
    response: GroupResponse,
  },
  getGroup: {
    method: "GET",
    path: "/v1/groups/:groupId",
    summary: "A group's epoch, last sequence number and member devices (members only).",
    auth: true,
    params: GroupParams,
    response: GroupResponse,
  },
  commit: {
    method: "POST",
    path: "/v1/groups/:groupId/commits",
    summary:
      "Append a commit: a public MLS commit verified against the current epoch's GroupInfo and ratchet tree; accepted only for the current epoch (first commit wins).",
    auth: true,
    params: GroupParams,
    body: CommitBody,
    response: CommitResponse,
  },
  sendMessage: {
    method: "POST",
    path: "/v1/groups/:groupId/messages",
    summary: "Append an application message; acknowledged once durable; idempotent by messageId.",
    auth: true,
    params: GroupParams,
    body: SendMessageBody,
    response: SendMessageResponse,
  },
  sendEphemeral: {
    method: "POST",
    path: "/v1/groups/:groupId/ephemeral",
    summary:
      "Relay an MLS application message to the group's member devices connected now (on every node), " +
      "and to no one later: never stored, never logged (call signaling). The sender's device must be " +
      "allowed to send to the group (as for messages); `epoch` must not be past the group's. " +
      "Rate-limited like every request. Answered 202 once handed to the bus.",
    auth: true,
    status: 202,
    maxBodyBytes: LIMITS.maxEphemeralChars + 1024,
    params: GroupParams,
    body: SendEphemeralBody,
    response: SendEphemeralResponse,
  },
  deleteMessage: {
    method: "DELETE",
    path: "/v1/groups/:groupId/messages/:messageId",
    summary:
      "Remove the ciphertext of an application message from the group's log (delete for everyone): " +
      "the caller's device must be a member; its account must have sent the message, or, in a " +
      "community channel, hold MANAGE_MESSAGES there (else VOLLY_E_FORBIDDEN, details.permission). " +
      "VOLLY_E_UNKNOWN_MESSAGE when the log no longer holds it. The encrypted delete itself travels " +
      "as MLS content.",
    auth: true,
    params: GroupMessageParams,
    response: DeleteMessageResponse,
  },
  leaveGroup: {
    method: "POST",
    path: "/v1/groups/:groupId/leave",
    summary:
      "Leave a group: the device stops receiving it at once and a departure entry asks the remaining members to commit its Remove.",
    auth: true,
    params: GroupParams,
    response: LeaveGroupResponse,
  },
  getGroupInfo: {
    method: "GET",
    path: "/v1/groups/:groupId/group-info",
    summary: "The current epoch's GroupInfo and ratchet tree, for a member rejoining by external commit.",
    auth: true,
    params: GroupParams,
    response: GroupInfoResponse,
  },
  grantAdmin: {
    method: "POST",
    path: "/v1/groups/:groupId/admins",
    summary: "Make an account an admin of a group (admins only).",
    auth: true,
    params: GroupParams,
    body: GrantAdminBody,
    response: GroupResponse,
  },
  createDeviceLink: {
    method: "POST",
    path: "/v1/device-links",
    summary: "Start linking a new device to this account (valid 15 minutes, single use).",
    auth: true,
    response: CreateDeviceLinkResponse,
  },
  claimDeviceLink: {
    method: "POST",
    path: "/v1/device-links/:linkId/claim",
    summary: "The new device presents its key and the proof that it holds the pairing code.",
    auth: false,
    params: DeviceLinkParams,
    body: ClaimDeviceLinkBody,
    response: DeviceLinkStatus,
  },
  getDeviceLink: {
    method: "GET",
    path: "/v1/device-links/:linkId",
    summary: "A link's status; once approved, the new device's id.",
    auth: false,
    params: DeviceLinkParams,
    response: DeviceLinkStatus,
  },
  approveDeviceLink: {
    method: "POST",
    path: "/v1/device-links/:linkId/approve",
    summary: "The creating device approves the claimed key with its signature; the device is registered.",
    auth: true,
    params: DeviceLinkParams,
    body: ApproveDeviceLinkBody,
    response: ApproveDeviceLinkResponse,
  },
  declineDeviceLink: {
    method: "POST",
    path: "/v1/device-links/:linkId/decline",
    summary:
      "The creating device declines the claimed key: nothing is registered, the link is used up, and " +
      "the new device's status poll sees `declined`. Idempotent.",
    auth: true,
    params: DeviceLinkParams,
    response: DeviceLinkStatus,
  },
  revokeDevice: {
    method: "DELETE",
    path: "/v1/devices/:deviceId",
    summary: "Revoke a device of this account: its sessions end and it leaves every group.",
    auth: true,
    params: DeviceParams,
    response: RevokeDeviceResponse,
  },
  getPresenceStatus: {
    method: "GET",
    path: "/v1/presence/status",
    summary: "This account's chosen status and custom text (an expired text is not returned).",
    auth: true,
    response: PresenceStatusResponse,
  },
  setPresenceStatus: {
    method: "PUT",
    path: "/v1/presence/status",
    summary:
      "Set this account's status (online, idle, dnd, invisible) and custom text with optional expiry, for all its devices; peers and the account's devices get PRESENCE_UPDATE.",
    auth: true,
    body: SetPresenceStatusBody,
    response: PresenceStatusResponse,
  },
  getRecoveryStatus: {
    method: "GET",
    path: "/v1/account/recovery-key",
    summary: "Whether this account has a recovery key, and when its backup was last stored.",
    auth: true,
    response: RecoveryStatusResponse,
  },
  setRecoveryKey: {
    method: "PUT",
    path: "/v1/account/recovery-key",
    summary:
      "Register (or replace) the public key derived from the account's recovery key, signed by that key; a replaced key's backup is dropped.",
    auth: true,
    body: SetRecoveryKeyBody,
    response: RecoveryStatusResponse,
  },
  putAccountBackup: {
    method: "PUT",
    path: "/v1/account/backup",
    summary:
      "Store the account backup (the account document sealed under a key derived from the recovery key; opaque to the server). Needs a recovery key.",
    auth: true,
    body: AccountBackupBody,
    response: RecoveryStatusResponse,
  },
  getAccountBackup: {
    method: "GET",
    path: "/v1/account/backup",
    summary: "The account's sealed backup (VOLLY_E_NO_BACKUP when none is stored).",
    auth: true,
    response: AccountBackupResponse,
  },
  recoveryChallenge: {
    method: "POST",
    path: "/v1/recovery/challenge",
    summary:
      "A single-use nonce to restore an account with its recovery key (the account's previous one is replaced); VOLLY_E_RECOVERY_FAILED when the account has no recovery key.",
    auth: false,
    body: RecoveryChallengeBody,
    response: RecoveryChallengeResponse,
  },
  recoverAccount: {
    method: "POST",
    path: "/v1/recovery",
    summary:
      "Restore an account with its recovery key: registers the new device, revokes every other device and lets the new one rejoin their groups by external commit. Wrong keys: VOLLY_E_RECOVERY_FAILED; failed attempts are slowed down per account (VOLLY_E_RATE_LIMITED, details.retryAfterMs).",
    auth: false,
    body: RecoverAccountBody,
    response: RecoverAccountResponse,
  },
  listRecoveryRejoins: {
    method: "GET",
    path: "/v1/recovery/rejoins",
    summary:
      "The groups this (restored) device may still join by external commit: those the account's revoked devices were in at the restore.",
    auth: true,
    response: RecoveryRejoinsResponse,
  },
  ...COMMUNITY_ROUTES,
  ...SCHEDULED_ROUTES,
  ...FILE_ROUTES,
  ...API_KEY_ROUTES,
  ...CALL_INFRA_ROUTES,
  ...VOICE_ROUTES,
} as const satisfies Record<string, RouteSpec>;
