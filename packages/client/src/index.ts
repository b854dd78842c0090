/**
 * `@volly/client`: the SDK's public surface, listed by name. Applications (the CLI, the web app's
 * worker, bots, bridges) open a {@link VollyClient} through `@volly/client/node` or
 * `@volly/client/browser` and use its services; the services are exported as types (they are made
 * by the client, never by hand). Internals stay behind this list; tests that must reach one use
 * `@volly/client/testing`. Sorted by module, so the capability folders show: account/,
 * conversations/, messaging/, presence/, shared/ (diagnostics), storage/, sync/, transport/.
 */

export type { ProfileRecord } from "./account/account-records.js";
export type { SyncedContact, SyncedConversation } from "./account/account-sync/account-doc.js";
export type {
  AccountSync,
  AccountSyncDiagnostic,
  AccountSyncRejection,
  HandOverResult,
  HistoryImport,
} from "./account/account-sync/account-sync.js";
export {
  HISTORY_CHUNK_BYTES,
  HISTORY_MAX_PER_CONVERSATION,
} from "./account/account-sync/history-handover.js";
export type { AccountDevice, ApproveOptions, Devices, LinkedDevice, OpenedLink } from "./account/devices.js";
export { KEY_PACKAGE_POOL, type KeyPackagePool } from "./account/key-package-pool.js";
export { type LinkClaim, type LinkProfileOptions, linkProfile } from "./account/link-profile.js";
export {
  type CreateProfileOptions,
  createProfile,
  hasProfile,
  PIN_BACKOFF,
  pinRetryDelayMs,
  profileServerUrls,
  type UnlockedProfile,
  unlockProfile,
} from "./account/profile.js";
export {
  DEFAULT_SETTINGS,
  FONT_SCALE,
  type Settings,
  THEMES,
  type UserSettings,
} from "./account/settings.js";
export type { SafetyNumber, Verification } from "./account/verification.js";
export type {
  ConversationMember,
  ConversationRecord,
  ConversationSummary,
  MembershipEnd,
} from "./conversations/conversation-records.js";
export type { Conversations } from "./conversations/conversations.js";
export { CATCH_UP_TIMEOUT_MS, MAX_COMMIT_ATTEMPTS } from "./conversations/group-commits.js";
export { DEFAULT_INVITE_TTL_MS, type InviteLinks, type Invites } from "./conversations/invites.js";
export { MAX_GROUP_NAME_CHARS } from "./conversations/names.js";
export { MAX_RESYNC_ATTEMPTS, RECOVERY_NOTICE } from "./conversations/resync.js";
export type { DeliveryDiagnostic } from "./messaging/delivery-log.js";
export { isConversational, MESSAGE_KINDS, type MessageKind } from "./messaging/message-kinds.js";
export {
  type MembershipBody,
  type MembershipChange,
  type MembershipParty,
  type MessageBody,
  type MessageRecord,
  messageText,
  type TextBody,
  type UndecryptableCounts,
} from "./messaging/message-records.js";
export type { Messaging } from "./messaging/messaging.js";
export { RECEIPT_BATCH_MS, RECEIPT_MAX_IDS, RECEIPT_MAX_MEMBERS } from "./messaging/receipts.js";
export { TYPING_THROTTLE_MS, TYPING_TTL_MS, Typing } from "./messaging/typing.js";
export { PRESENCE_SNAPSHOT_GRACE_MS, Presence, type PresenceState } from "./presence/presence.js";
export type { BackgroundFailure, Diagnostics } from "./shared/diagnostics.js";
export type { Listeners } from "./shared/listeners.js";
export type { ClientStore, StoreBatch, StoredMessageRow } from "./storage/client-store.js";
export { STORE_SCHEMA_VERSION } from "./storage/migrations/migrations.js";
export type { Sync } from "./sync/sync.js";
export type { DeviceCredentials } from "./transport/auth-session.js";
export {
  type ConnectionState,
  type Dispatch,
  GatewayConnection,
  type GatewayConnectionOptions,
} from "./transport/gateway-connection.js";
export { type CallOptions, HttpApi, type ResponseOf, type RouteName } from "./transport/http-api.js";
export { type ReconnectBackoff, reconnectDelayMs } from "./transport/reconnect-delay.js";
export type { WebSocketFactory, WebSocketLike } from "./transport/websocket.js";
export { VollyClient, type VollyClientOptions } from "./volly-client.js";
