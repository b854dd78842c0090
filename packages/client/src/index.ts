export type { KeyPackageRecord, ProfileRecord } from "./account/account-records.js";
export {
  AccountDoc,
  type SyncedContact,
  type SyncedConversation,
} from "./account/account-sync/account-doc.js";
export {
  AccountSync,
  type AccountSyncDeps,
  type AccountSyncDiagnostic,
  type AccountSyncRejection,
  type HandOverResult,
  type HistoryImport,
} from "./account/account-sync/account-sync.js";
export {
  HISTORY_CHUNK_BYTES,
  HISTORY_MAX_PER_CONVERSATION,
  type HistoryHandOverPlan,
  planHistoryHandOver,
  stageHistoryChunk,
} from "./account/account-sync/history-handover.js";
export { selfConversationId } from "./account/account-sync/self-conversation.js";
export {
  type AccountDevice,
  type ApproveOptions,
  Devices,
  type LinkedDevice,
  type OpenedLink,
} from "./account/devices.js";
export { KEY_PACKAGE_POOL, KeyPackagePool } from "./account/key-package-pool.js";
export { type LinkProfileOptions, linkProfile } from "./account/link-profile.js";
export {
  type CreateProfileOptions,
  createProfile,
  hasProfile,
  PIN_BACKOFF,
  pinRetryDelayMs,
  profileServerUrls,
  sealProfile,
  serverOrigins,
  type UnlockedProfile,
  unlockProfile,
} from "./account/profile.js";
export { DEFAULT_SETTINGS, FONT_SCALE, Settings, THEMES, type UserSettings } from "./account/settings.js";
export { type SafetyNumber, Verification } from "./account/verification.js";
export type {
  ConversationMember,
  ConversationRecord,
  ConversationSummary,
} from "./conversations/conversation-records.js";
export { Conversations } from "./conversations/conversations.js";
export {
  type ClaimTarget,
  type DeviceInfo,
  Directory,
  type VerifiedKeyPackage,
} from "./conversations/directory.js";
export { CATCH_UP_TIMEOUT_MS, MAX_COMMIT_ATTEMPTS } from "./conversations/group-commits.js";
export { DEFAULT_INVITE_TTL_MS, type InviteLinks, Invites } from "./conversations/invites.js";
export { MAX_GROUP_NAME_CHARS } from "./conversations/names.js";
export {
  attachGroupInfo,
  MAX_RESYNC_ATTEMPTS,
  needsResync,
  RECOVERY_NOTICE,
  type ResyncResult,
  rejoinByExternalCommit,
} from "./conversations/resync.js";
export type { DeliveryDiagnostic } from "./messaging/delivery-log.js";
export {
  type MessageBody,
  type MessageRecord,
  messageText,
  type OutboxRecord,
  type TextBody,
  type UndecryptableCounts,
} from "./messaging/message-records.js";
export { Messaging, type MessagingDeps } from "./messaging/messaging.js";
export { maxStatus, Outbox, type OutboxHooks } from "./messaging/outbox.js";
export {
  RECEIPT_BATCH_MS,
  RECEIPT_MAX_IDS,
  RECEIPT_MAX_MEMBERS,
  Receipts,
  type ReceiptsDeps,
} from "./messaging/receipts.js";
export { TYPING_THROTTLE_MS, TYPING_TTL_MS, Typing } from "./messaging/typing.js";
export { PRESENCE_SNAPSHOT_GRACE_MS, Presence, type PresenceState } from "./presence/presence.js";
export type { ClientContext } from "./shared/client-context.js";
export { type BackgroundFailure, Diagnostics } from "./shared/diagnostics.js";
export { KeyedQueue } from "./shared/keyed-queue.js";
export { Listeners } from "./shared/listeners.js";
export type { ClientStore, StoreBatch, StoredMessageRow } from "./storage/client-store.js";
export { Vault, VaultBatch } from "./storage/vault.js";
export type { Acknowledge, SyncDeps } from "./sync/dispatch-handler.js";
export { Sync } from "./sync/sync.js";
export type { DeviceCredentials } from "./transport/auth-session.js";
export {
  type ConnectionState,
  type Dispatch,
  GatewayConnection,
  type GatewayConnectionOptions,
} from "./transport/gateway-connection.js";
export {
  type CallOptions,
  errorFromBody,
  HttpApi,
  type ResponseOf,
  type RouteName,
} from "./transport/http-api.js";
export { type ReconnectBackoff, reconnectDelayMs } from "./transport/reconnect-delay.js";
export type { WebSocketFactory, WebSocketLike } from "./transport/websocket.js";
export { VollyClient, type VollyClientOptions } from "./volly-client.js";
