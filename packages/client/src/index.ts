export {
  AccountDoc,
  type SyncedContact,
  type SyncedConversation,
} from "./account-sync/account-doc.js";
export {
  AccountSync,
  type AccountSyncDeps,
  type AccountSyncDiagnostic,
  type AccountSyncRejection,
  type HandOverResult,
  type HistoryImport,
} from "./account-sync/account-sync.js";
export {
  HISTORY_CHUNK_BYTES,
  HISTORY_MAX_PER_CONVERSATION,
  type HistoryHandOverPlan,
  planHistoryHandOver,
  stageHistoryChunk,
} from "./account-sync/history-handover.js";
export { selfConversationId } from "./account-sync/self-conversation.js";
export { AuthSession } from "./auth-session.js";
export type { ClientContext } from "./context.js";
export {
  CATCH_UP_TIMEOUT_MS,
  Conversations,
  type ConversationsDeps,
  MAX_COMMIT_ATTEMPTS,
  MAX_GROUP_NAME_CHARS,
} from "./conversations.js";
export {
  type AccountDevice,
  type ApproveOptions,
  Devices,
  type LinkedDevice,
  type OpenedLink,
} from "./devices.js";
export { type ClaimTarget, type DeviceInfo, Directory, type VerifiedKeyPackage } from "./directory.js";
export {
  type ConnectionState,
  type Dispatch,
  GatewayConnection,
  type GatewayConnectionOptions,
} from "./gateway-connection.js";
export { type CallOptions, errorFromBody, HttpApi, type ResponseOf, type RouteName } from "./http-api.js";
export { DEFAULT_INVITE_TTL_MS, type InviteLinks, Invites } from "./invites.js";
export { KEY_PACKAGE_POOL, KeyPackagePool } from "./key-package-pool.js";
export { KeyedQueue } from "./keyed-queue.js";
export { type LinkProfileOptions, linkProfile } from "./link-profile.js";
export { Listeners } from "./listeners.js";
export { type DeliveryDiagnostic, Messaging, type MessagingDeps } from "./messaging.js";
export { maxStatus, Outbox, type OutboxHooks } from "./outbox.js";
export { PRESENCE_SNAPSHOT_GRACE_MS, Presence, type PresenceState } from "./presence.js";
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
} from "./profile.js";
export {
  RECEIPT_BATCH_MS,
  RECEIPT_MAX_IDS,
  RECEIPT_MAX_MEMBERS,
  Receipts,
  type ReceiptsDeps,
} from "./receipts.js";
export { type ReconnectBackoff, reconnectDelayMs } from "./reconnect-delay.js";
export type {
  ConversationMember,
  ConversationRecord,
  ConversationSummary,
  KeyPackageRecord,
  MessageRecord,
  OutboxRecord,
  ProfileRecord,
  UndecryptableCounts,
} from "./records.js";
export {
  attachGroupInfo,
  type CommitDraft,
  MAX_RESYNC_ATTEMPTS,
  needsResync,
  RECOVERY_NOTICE,
  type ResyncResult,
  rejoinByExternalCommit,
} from "./resync.js";
export { DEFAULT_SETTINGS, FONT_SCALE, Settings, THEMES, type UserSettings } from "./settings.js";
export type { ClientStore, StoreBatch, StoredMessageRow } from "./store/client-store.js";
export { type Acknowledge, Sync, type SyncOptions } from "./sync.js";
export { TYPING_THROTTLE_MS, TYPING_TTL_MS, Typing } from "./typing.js";
export { Vault, VaultBatch } from "./vault.js";
export { type SafetyNumber, Verification } from "./verification.js";
export { VollyClient, type VollyClientOptions } from "./volly-client.js";
export type { WebSocketFactory, WebSocketLike } from "./websocket.js";
