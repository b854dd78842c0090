/**
 * `@volly/client`: the SDK's public surface, listed by name. Applications (the CLI, the web app's
 * worker, bots, bridges) open a {@link VollyClient} through `@volly/client/node` or
 * `@volly/client/browser` and use its services. Each service is exported as an interface holding
 * what applications use (`Conversations`, `Messaging`, …); the classes behind them, their
 * dependencies and internal members stay inside the package. Tests that must reach an internal use
 * `@volly/client/testing`. Sorted by module, so the capability folders show: account/, attachments/,
 * communities/, conversations/, messaging/, presence/, shared/ (diagnostics, listeners), storage/, sync/, threads/,
 * transport/.
 */

export type { AccountProfile, AvatarChangeResult, DisplayNameChange } from "./account/account-profile-api.js";
export type { ProfileRecord } from "./account/account-records.js";
export type { SyncedContact, SyncedConversation } from "./account/account-sync/account-doc.js";
export type {
  AccountSync,
  AccountSyncDiagnostic,
  AccountSyncRejection,
  HandOverResult,
  HistoryImport,
} from "./account/account-sync/account-sync-api.js";
export {
  HISTORY_CHUNK_BYTES,
  HISTORY_MAX_PER_CONVERSATION,
} from "./account/account-sync/history-handover.js";
export {
  resealProfileWithApiKey,
  sealProfileWithApiKey,
  unlockProfileWithApiKey,
} from "./account/api-key-profile.js";
export type {
  AccountDevice,
  ApproveOptions,
  Devices,
  LinkedDevice,
  OpenedLink,
} from "./account/devices-api.js";
export { KEY_PACKAGE_POOL } from "./account/key-package-pool.js";
export type { KeyPackagePool } from "./account/key-package-pool-api.js";
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
export type { Recovery, RecoveryStatus, RejoinReport } from "./account/recovery-api.js";
export {
  type RecoveredProfile,
  type RecoverProfileOptions,
  recoverProfile,
} from "./account/recovery-profile.js";
export { homeServerOf, ownServerNames, serverNameOfUrl, typedHandle } from "./account/server-name.js";
export { DEFAULT_SETTINGS, FONT_SCALE, THEMES } from "./account/settings.js";
export type { Settings, UserSettings } from "./account/settings-api.js";
export type {
  SafetyNumber,
  ScanResult,
  Verification,
  VerificationState,
} from "./account/verification-api.js";
export type { ApiKeys, CreateApiKeyOptions } from "./api-keys/api-keys-api.js";
export type {
  AttachmentProgress,
  AttachmentSendOptions,
  ByteRange,
  FileAttachments,
  GalleryItem,
  GalleryOptions,
  OutgoingAttachment,
  UploadState,
} from "./attachments/attachments-api.js";
export type { LocalFiles } from "./attachments/local-files.js";
export {
  CallKeySchedule,
  type CallKeyScheduleOptions,
  RETIRE_PREVIOUS_EPOCH_AFTER_MS,
} from "./calls/call-key-schedule.js";
export type {
  CallEpochChange,
  CallRecordInput,
  CallSignal,
  CallSignaling,
  Calls,
  ReceivedCallSignal,
} from "./calls/calls-api.js";
export type { IceServers } from "./calls/ice-servers.js";
export { MAX_JOIN_ATTEMPTS } from "./communities/channel-conversations.js";
export { DEFAULT_COMMUNITY_INVITE_TTL_MS, RECONCILE_RETRY_MS } from "./communities/communities.js";
export type {
  Communities,
  CommunityChange,
  CommunityInviteLink,
  CreateCommunityInviteOptions,
  MemberRef,
  OverwriteTarget,
} from "./communities/communities-api.js";
export {
  HISTORY_SHARE_STAGGER_MS,
  HISTORY_SHARERS,
} from "./communities/history-sharers.js";
export { historyStartText } from "./communities/history-start.js";
export {
  COMMUNITY_INVITE_SCHEME,
  communityInviteLinks,
  parseCommunityInvite,
} from "./communities/invite-links.js";
export type {
  ConversationMember,
  ConversationRecord,
  ConversationSummary,
  HistoryStart,
  MembershipEnd,
} from "./conversations/conversation-records.js";
export type { Conversations } from "./conversations/conversations-api.js";
export { entityTypeOf, type MemberMatch, memberIn } from "./conversations/entity-types.js";
export { CATCH_UP_TIMEOUT_MS, MAX_COMMIT_ATTEMPTS } from "./conversations/group-commits.js";
export { DEFAULT_INVITE_TTL_MS, inviterHandle } from "./conversations/invites.js";
export type { InviteLinks, Invites } from "./conversations/invites-api.js";
export { MAX_GROUP_NAME_CHARS } from "./conversations/names.js";
export { RESTORE_NOTICE } from "./conversations/restored-join.js";
export { MAX_RESYNC_ATTEMPTS, RECOVERY_NOTICE } from "./conversations/resync.js";
export type { MessageAction, MessageActionType } from "./messaging/actions/message-action.js";
export type { DeliveryDiagnostic } from "./messaging/delivery-log.js";
export {
  deriveMentions,
  HERE_WINDOW_MS,
  handleMentions,
  type MentionableRole,
  type MentionTarget,
  mentionsAsSeenBy,
  mentionsMeOf,
} from "./messaging/mentions.js";
export { isConversational, MESSAGE_KINDS, type MessageKind } from "./messaging/message-kinds.js";
export {
  type AccountRef,
  type CallBody,
  type DeletedBody,
  type MembershipBody,
  type MembershipChange,
  type MembershipParty,
  type MessageBody,
  type MessageEdit,
  type MessageReaction,
  type MessageRecord,
  messageText,
  type Reactor,
  type TextBody,
  type UndecryptableCounts,
} from "./messaging/message-records.js";
export type { Messaging, SendOptions } from "./messaging/messaging-api.js";
export { RECEIPT_BATCH_MS, RECEIPT_MAX_IDS, RECEIPT_MAX_MEMBERS } from "./messaging/receipts.js";
export { TYPING_THROTTLE_MS, TYPING_TTL_MS } from "./messaging/typing.js";
export type { Typing, TypingChange } from "./messaging/typing-api.js";
export {
  decideNotification,
  type NotificationDecision,
  type NotificationInput,
  type SilentReason,
} from "./notifications/notification-decision.js";
export {
  communityRuleKey,
  conversationRuleKey,
  isMuted,
  MUTE_PERIODS,
  type MutePeriod,
  muteUntil,
  NOTIFICATION_LEVELS,
  type NotificationLevel,
  type NotificationRule,
  type NotificationRules,
} from "./notifications/notification-settings.js";
export type { NotificationScope, Notifications } from "./notifications/notifications-api.js";
export type { DirectCounts, DirectPaths, DirectPeer, DirectPeersRecord } from "./p2p/direct-api.js";
export type { DirectAnswer, DirectChannel, DirectOffer, DirectPeerFactory } from "./p2p/direct-channel.js";
export type { DirectPathsOptions } from "./p2p/direct-paths.js";
export type { LanFrame, LanPeerSeen, LanTransport } from "./p2p/lan-transport.js";
export { PRESENCE_SNAPSHOT_GRACE_MS } from "./presence/presence.js";
export type {
  AccountStatus,
  OwnStatus,
  Presence,
  PresenceChange,
  PresenceState,
  SetStatusOptions,
} from "./presence/presence-api.js";
export {
  formatScheduleRule,
  parseAt,
  parseScheduleRule,
  type ScheduleRule,
} from "./scheduled/schedule-rule.js";
export {
  SCHEDULE_HORIZON,
  type ScheduledEntry,
  type ScheduledMessages,
  type ScheduleOptions,
} from "./scheduled/scheduled-api.js";
export {
  SEARCH_MAX_LIMIT,
  SEARCH_MAX_QUERY_CHARS,
  type Search,
  type SearchHighlight,
  type SearchHit,
  type SearchOptions,
} from "./search/search-api.js";
export { type ParsedSearchQuery, parseSearchQuery, parseSearchTime } from "./search/search-syntax.js";
export type { BackgroundFailure, Diagnostics } from "./shared/diagnostics-api.js";
export type { Listeners } from "./shared/listeners.js";
export type { ClientStore, StoreBatch, StoredMessageRow } from "./storage/client-store.js";
export { STORE_SCHEMA_VERSION } from "./storage/migrations/migrations.js";
export type { Sync } from "./sync/sync-api.js";
export type { ThreadSummary, Threads } from "./threads/threads-api.js";
export type { ConnectionState, GatewayConnection } from "./transport/gateway-connection-api.js";
export { type ReconnectBackoff, reconnectDelayMs } from "./transport/reconnect-delay.js";
export type { WebSocketFactory, WebSocketLike } from "./transport/websocket.js";
export { VollyClient, type VollyClientOptions } from "./volly-client.js";
