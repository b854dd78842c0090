/**
 * The messages between the UI thread and the SDK worker. The UI sends an {@link RpcRequest} naming
 * an allowed member of the SDK by path (`["conversations", "summaries"]`, see `sdk-surface.ts`)
 * with its arguments, and gets one {@link RpcResponse} with the same id; the worker pushes
 * {@link SdkEvent}s for the SDK's listeners. Everything crosses by structured clone (bytes as
 * `Uint8Array`s, large ones transferred); errors cross as {@link WireError} (a VollyError's
 * `{code, message, details}`).
 */

import type {
  AttachmentProgress,
  ConnectionState,
  ConversationRecord,
  DirectPeer,
  MessageAction,
  OwnStatus,
  PresenceState,
  ReceivedCallSignal,
  ConversationSummary as SdkConversationSummary,
  MessageRecord as SdkMessageRecord,
  SearchHit as SdkSearchHit,
  ThreadSummary as SdkThreadSummary,
  UserSettings,
} from "@volly/client";
import type {
  AttachmentPointer,
  CommunityChannel,
  CommunityResponse,
  CommunityRole,
  PermissionName,
  PermissionOverwriteWire,
  VoiceStateUpdateEvent,
} from "@volly/protocol";

export type {
  AccountDevice,
  AccountStatus,
  AttachmentProgress,
  CallBody,
  CallRecordInput,
  CallSignal,
  CommunityInviteLink,
  ConnectionState,
  ConversationMember,
  ConversationRecord,
  DirectCounts,
  DirectPeer,
  HistoryStart,
  InviteLinks,
  MembershipBody,
  MembershipChange,
  MembershipEnd,
  MembershipParty,
  MessageAction,
  MessageBody,
  MessageReaction,
  MutePeriod,
  NotificationDecision,
  NotificationLevel,
  NotificationRule,
  NotificationScope,
  OutgoingAttachment,
  OwnStatus,
  PresenceChange,
  PresenceState,
  ReceivedCallSignal,
  RecoveryStatus,
  SafetyNumber,
  ScanResult,
  SearchHighlight,
  SearchOptions,
  UploadState,
  UserSettings,
  VerificationState,
} from "@volly/client";

/**
 * A message as the UI renders it: the SDK's record plus `text`, its text body ("" for a body of
 * another kind: a membership event, rendered from `body`). Made by the worker (`message-view.ts`),
 * so components read `message.text`.
 */
export type MessageRecord = SdkMessageRecord & { text: string };

/** A channel thread (`sdk.threads.list`) whose root is a {@link MessageRecord} view. */
export type ThreadSummary = Omit<SdkThreadSummary, "root"> & { root?: MessageRecord };
/** A search hit as the UI renders it: its message as a {@link MessageRecord} view (highlights index `text`). */
export type SearchHit = Omit<SdkSearchHit, "message"> & { message: MessageRecord };

/** One file of a conversation's media gallery, its message as a {@link MessageRecord} view. */
export interface GalleryItem {
  message: MessageRecord;
  attachment: AttachmentPointer;
}

/** One progress report of an upload (the SDK's `client.attachments.progress`). */
export type UploadProgress = AttachmentProgress;

/** A conversation list entry whose last message is a {@link MessageRecord} view. */
export type ConversationSummary = Omit<SdkConversationSummary, "lastMessage"> & {
  lastMessage?: MessageRecord;
};
export type {
  AccountEntry,
  AttachmentKind,
  AttachmentPointer,
  AuditLogEntry,
  CommunityChannel,
  CommunityMember,
  CommunityResponse,
  CommunityRole,
  CommunitySummary,
  DeviceEntry,
  InvitePreviewResponse,
  PermissionName,
} from "@volly/protocol";

/**
 * A community as the UI renders it (made by the worker, `community-view.ts`): the SDK's
 * `CommunityResponse` with every permission set also as names (`"MANAGE_ROLES"`), and each
 * channel's `private` (its @everyone overwrite denies VIEW_CHANNEL).
 */
export type CommunityView = Omit<CommunityResponse, "roles" | "channels"> & {
  /** This account's community-level permissions. */
  myPermissionNames: PermissionName[];
  roles: RoleView[];
  channels: ChannelView[];
};
export type RoleView = CommunityRole & { permissionNames: PermissionName[] };
export type ChannelView = Omit<CommunityChannel, "overwrites"> & {
  /** This account's permissions in the channel. */
  myPermissionNames: PermissionName[];
  private: boolean;
  overwrites: Array<PermissionOverwriteWire & { allowNames: PermissionName[]; denyNames: PermissionName[] }>;
};

/** Who this device is, as the UI needs it (no keys). */
export interface Me {
  handle: string;
  displayName?: string;
  /** The account's avatar (an encrypted image attachment), when it set one. */
  avatar?: AttachmentPointer;
  accountId: string;
  deviceId: string;
  serverUrl: string;
}

/** What onboarding collects. */
export interface NewProfile {
  serverUrl: string;
  handle: string;
  displayName: string;
  pin: string;
  deviceName: string;
}

/** What linking this browser to an existing account collects (the new device's side). */
export interface LinkThisDevice {
  /** The pairing code the existing device shows: `volly-link:<server origin>/<linkId>.<secret>`. */
  code: string;
  /** The PIN that will seal the keys on this browser: 6 digits. */
  pin: string;
  /** This browser's name in the account's device list (1–64 characters). */
  deviceName: string;
}

/** A device link this device opened (the existing device's side), as the UI shows it. */
export interface OpenedDeviceLink {
  /** The pairing code to show as text and as a QR code. */
  code: string;
  /** The link's id: names the link in the other device-link calls. */
  linkId: string;
  /** When the code stops being claimable (ms since the Unix epoch). */
  expiresAt: number;
}

/** A new device's claim of a link, shown to the user before they approve it. */
export interface DeviceLinkClaim {
  /** The name the new device chose. */
  name: string;
  /** The SHA-256 fingerprint of its key (base64url, 43 characters); the new device shows the same. */
  fingerprint: string;
}

/** The outcome of an approved link. */
export interface ApprovedDevice {
  deviceId: string;
  name: string;
  /** How many conversations the new device was added to. */
  added: number;
  /** How many it could not be added to. */
  failed: number;
}

/** What restoring an account with its recovery key needs (`sdk.session.recoverProfile`). */
export interface RestoreProfile {
  serverUrl: string;
  handle: string;
  recoveryKey: string;
  pin: string;
  deviceName: string;
}

/** Events pushed by the worker (the SDK's listeners). */
export type SdkEvent =
  | { type: "message"; message: MessageRecord }
  | { type: "message-update"; message: MessageRecord }
  /** An action applied to a stored message (its record comes as a "message-update" too). */
  | { type: "message-action"; action: MessageAction }
  | { type: "typing"; conversationId: string; handles: string[] }
  | { type: "presence"; handle: string; status: PresenceState; text?: string; until?: number }
  | { type: "own-status"; status: OwnStatus }
  /** The settings changed (here or synced from another device of the account). */
  | { type: "settings"; settings: UserSettings }
  | { type: "connection"; state: ConnectionState }
  | { type: "conversation"; conversation: ConversationRecord }
  | { type: "community"; communityId: string; community?: CommunityView }
  /** This browser claimed a pairing code (linking it): show the key's fingerprint while it waits. */
  | { type: "link-claimed"; fingerprint: string }
  /** Upload progress of an outgoing message with files. */
  | { type: "upload-progress"; progress: UploadProgress }
  /** A call signal another device sent (`client.calls.signaling.signals`). */
  | { type: "call-signal"; received: ReceivedCallSignal }
  /** A conversation's MLS epoch changed (`client.calls.epochChanges`): calls in it re-key. */
  | { type: "call-epoch"; conversationId: string; epoch: number }
  /** Someone joined, changed or left a community voice channel (`client.communities.voice.voiceStates`). */
  | { type: "voice-state"; event: VoiceStateUpdateEvent }
  /** The devices with an open direct path changed (`client.direct.changes`; also sent once at start). */
  | { type: "direct-peers"; peers: DirectPeer[] };

/** A VollyError as it crosses the boundary. */
export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** UI → worker: call the member at `path` (checked against the allow-list) with `args`. */
export interface RpcRequest {
  kind: "request";
  /** Matches the response to this request; a positive safe integer. */
  id: number;
  path: readonly string[];
  args: unknown[];
}

/** Worker → UI. */
export type RpcResponse =
  | { kind: "response"; id: number; ok: true; value: unknown }
  | { kind: "response"; id: number; ok: false; error: WireError };

export type WorkerMessage = RpcResponse | { kind: "event"; event: SdkEvent };

/** Whether `id` can identify a request: a positive safe integer. */
function isRequestId(id: unknown): id is number {
  return typeof id === "number" && Number.isSafeInteger(id) && id > 0;
}

/**
 * Checks the shape of a message the worker received: `{kind: "request", id, path, args}` with a
 * request id and an array of arguments (the path itself is checked by `resolveCall`).
 *
 * @returns the request, or a VOLLY_E_BAD_REQUEST {@link WireError} with the id to answer to (none
 *   when the message carries no usable id)
 */
export function parseRequest(
  data: unknown,
): { request: RpcRequest } | { id: number | undefined; error: WireError } {
  const m = (typeof data === "object" && data !== null ? data : {}) as Partial<
    Record<keyof RpcRequest, unknown>
  >;
  const id = isRequestId(m.id) ? m.id : undefined;
  if (m.kind !== "request" || id === undefined || !Array.isArray(m.path) || !Array.isArray(m.args)) {
    return {
      id,
      error: { code: "VOLLY_E_BAD_REQUEST", message: 'An SDK request is {kind: "request", id, path, args}.' },
    };
  }
  return { request: { kind: "request", id, path: m.path, args: m.args } };
}

/** Turns anything thrown into a {@link WireError}. */
export function toWireError(err: unknown): WireError {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown; details?: unknown };
    const code = typeof e.code === "string" && e.code.startsWith("VOLLY_E_") ? e.code : "VOLLY_E_INTERNAL";
    const message = typeof e.message === "string" ? e.message : "Something went wrong.";
    const details =
      e.details && typeof e.details === "object" ? (e.details as Record<string, unknown>) : undefined;
    return details ? { code, message, details } : { code, message };
  }
  return { code: "VOLLY_E_INTERNAL", message: String(err) };
}
