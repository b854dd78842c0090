import type { MlsGroup } from "@volly/crypto";
import type { ApplicationContent, GroupMessageEvent } from "@volly/protocol";
import type { AccountSyncService } from "../../account/account-sync/account-sync.js";
import type { ChannelHistory } from "../../communities/channel-history.js";
import type { ConversationRecord } from "../../conversations/conversation-records.js";
import type { ConversationServices } from "../../conversations/conversation-services.js";
import type { ClientContext } from "../../shared/client-context.js";
import type { VaultBatch } from "../../storage/vault.js";
import type { MessageAction } from "../actions/message-action.js";
import type { MessageActions } from "../actions/message-actions.js";
import type { MentionChecks } from "../mention-checks.js";
import type { MessageRecord } from "../message-records.js";
import type { Receipts } from "../receipts.js";

/** A kind of application content (the `type` of packages/protocol's ApplicationContent). */
export type ContentType = ApplicationContent["type"];

/** The content of one kind. */
export type ContentOf<K extends ContentType> = Extract<ApplicationContent, { type: K }>;

/**
 * What becomes of a content kind on the receiving device:
 * - `"stored"`: a message in the timeline (a MessageRecord whose body has the same `type`);
 * - `"state"`: changes stored state without being a message (receipts, group names, account sync);
 * - `"ephemeral"`: never stored: relayed to connected devices (EPHEMERAL_MESSAGE), decrypted and
 *   emitted by `messaging/ephemeral-incoming.ts` (call signaling; typing travels as a gateway op).
 */
export type ContentPersistence = "stored" | "state" | "ephemeral";

/**
 * Where a content kind is accepted: `"conversation"` in ordinary conversations (ignored in the
 * account's self conversation, where it counts as malformed), `"self"` only in the self
 * conversation (ignored elsewhere).
 */
export type ContentScope = "conversation" | "self";

/**
 * A received application message as the pipeline handles it: a log entry (GROUP_MESSAGE), or the
 * same MLS ciphertext and envelope that came over a direct path (`p2p/`) before the log's copy —
 * then without `seq`, which only the server's log assigns.
 */
export type IncomingEntry = Omit<GroupMessageEvent, "seq"> & { seq?: number };

/** One received entry's content, decrypted and checked, as a handler gets it. */
export interface IncomingContent<K extends ContentType> {
  content: ContentOf<K>;
  /** The entry it came in (sender, seq unless it came over a direct path, message id = `content.id`). */
  event: IncomingEntry;
  /** The conversation advanced to the entry's seq (already staged in `batch`). */
  advanced: ConversationRecord;
  /** Holds the new group state and `advanced`; the handler stages its writes and commits it. */
  batch: VaultBatch;
  /** The group state after the entry was decrypted. */
  newGroup: MlsGroup;
  /** True when a device of this account sent it. */
  own: boolean;
}

/** What a handled entry changed, so the pipeline fires the matching events once it is stored. */
export interface ContentOutcome {
  /** A new message stored (fires `Messaging.received`). */
  message?: MessageRecord;
  /** Stored messages that changed (fires `Messaging.updates`). */
  updated?: MessageRecord[];
  /** The conversation was renamed (fires `Conversations.changes` and `named`). */
  renamed?: ConversationRecord;
  /** The conversation's record changed otherwise, e.g. a member's name (fires `Conversations.changes`). */
  changed?: ConversationRecord;
  /** Membership events stored (fire `Messaging.received`; never receipts). */
  events?: MessageRecord[];
  /** Actions applied to stored messages (fire `Messaging.actions`). */
  actions?: MessageAction[];
}

/** The services content handlers work with (one of each per client). */
export interface ContentHandlerDeps {
  ctx: ClientContext;
  receipts: Receipts;
  accountSync: AccountSyncService;
  conversations: ConversationServices;
  /** Applies reactions, edits, deletions and pins (and those that waited for a message). */
  actions: MessageActions;
  /** History for newcomers in community channels. */
  channelHistory: ChannelHistory;
  /** Which mentions of a received text count, and whether it mentions this account. */
  mentions: MentionChecks;
}

/**
 * How the SDK handles one kind of application content: a file in `messaging/content/`, listed in
 * the typed registry (`registry.ts`), so a new kind is a new handler — TypeScript refuses a kind
 * without one — never another `case`.
 */
export interface ContentHandler<K extends ContentType> {
  readonly type: K;
  readonly persistence: ContentPersistence;
  /** Whether stored messages of this kind go to a new device in the history hand-over. */
  readonly historyHandOver: boolean;
  readonly scope: ContentScope;
  /**
   * Applies one received content inside the conversation's queue: stages its writes in
   * `input.batch`, commits the batch, and reports what changed. Throws only when the store fails
   * (the entry is then not acknowledged and comes again).
   */
  apply(input: IncomingContent<K>, deps: ContentHandlerDeps): Promise<ContentOutcome>;
}
