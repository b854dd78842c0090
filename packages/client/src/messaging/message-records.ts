import type {
  AttachmentPointer,
  CallMedia,
  CallOutcome,
  LinkPreview,
  MessageDeclaration,
  TextMentions,
} from "@volly/protocol";
import type { UploadState } from "../attachments/attachments-api.js";

/** The body of a text message (TextContent's text: 1 to LIMITS.maxTextChars characters). */
export interface TextBody {
  /** The kind of body. */
  type: "text";
  /** The message's text. */
  text: string;
  /**
   * The preview of its first link, as the sender's device made it (only when the sender turned
   * link previews on). Render it as text; never fetch it.
   */
  preview?: LinkPreview;
}

/** An account as a reaction, a deletion or a pin names it. */
export interface AccountRef {
  /** The account's id. */
  accountId: string;
  /** The account's handle, without `@`. */
  handle: string;
}

/** An account that reacted, and when. */
export interface Reactor extends AccountRef {
  /** When it reacted (its device's clock, ms). */
  at: number;
}

/**
 * One reaction on a message and the accounts that reacted with it. Ordered by time (`at`, then
 * account id) — not by when this device learnt of it — so every device shows the same order.
 */
export interface MessageReaction {
  /** The reaction (an emoji as UIs send it; any 1 to 32 characters without control characters). */
  emoji: string;
  /** Who reacted with it (one entry per account), earliest first. */
  by: Reactor[];
}

/** One edit of a message: the text it set and when (the editor's clock, ms). */
export interface MessageEdit {
  /** The text after this edit. */
  text: string;
  /** When the edit was made (sender's clock, ms). */
  editedAt: number;
}

/**
 * The tombstone of a message deleted for everyone (DeleteContent): the text, its edits, reactions,
 * reply and pin are gone on every device; id, sender, times and seq stay so the timeline keeps its
 * place and a reply can say "original deleted".
 */
export interface DeletedBody {
  /** The kind of body. */
  type: "deleted";
  /** When it was deleted (the deleting device's clock, ms). */
  deletedAt: number;
  /** Who deleted it (its sender, or a moderator holding MANAGE_MESSAGES in a community channel). */
  by: AccountRef;
}

/** An account named in a membership event, as it was when the event was recorded. */
export interface MembershipParty {
  /** The account's id. */
  accountId: string;
  /** The account's handle then, without `@`. */
  handle: string;
}

/**
 * What a membership event says happened, account by account (a change of one member's devices
 * only — linking or revoking a device — is no event):
 * - `"added"`: `actor` added `subjects` (an actor among its subjects joined by itself);
 * - `"removed"`: `actor` removed `subjects` (this account among them: this device was removed);
 * - `"left"`: `actor` left (its devices departed and a member committed their Remove); subjects `[actor]`;
 * - `"renamed"`: `actor` renamed the group to `name`; no subjects;
 * - `"joined"`: `actor` added this device's account (from the Welcome it joined with); subjects `[this account]`.
 */
export type MembershipChange = "added" | "removed" | "left" | "renamed" | "joined";

/**
 * The body of a membership event: a line in the timeline that each device derives by itself from
 * MLS — a commit it made or processed (the committer is its sender leaf's credential, the added and
 * removed accounts the difference of the leaves before and after), the Welcome it joined with, a
 * group-meta rename, or leaving. Never sent, never encrypted for anyone, not a message: no unread
 * count, no receipts, not in the history hand-over (see `message-kinds.ts`).
 */
export interface MembershipBody {
  /** The kind of body. */
  type: "membership";
  /** What happened (see {@link MembershipChange}). */
  change: MembershipChange;
  /** Who did it (the committer; for `"left"` the account that left). */
  actor: MembershipParty;
  /** Whom it was done to, in handle order (empty for `"renamed"`). */
  subjects: MembershipParty[];
  /** `"renamed"`: the new name. */
  name?: string;
}

/**
 * The timeline's record of a call (CallEventContent, sent by the caller's device when the call is
 * over): UIs show e.g. "Missed call", "Declined call" or "Call, 3:12".
 */
export interface CallBody {
  /** The kind of body. */
  type: "call";
  /** The call's id (the one its signaling carried). */
  callId: string;
  /** Audio only, or video. */
  media: CallMedia;
  /** How it ended: nobody answered ("missed"), "declined", or answered and "ended". */
  outcome: CallOutcome;
  /** For an answered call: from the answer to the hang-up (ms). */
  durationMs?: number;
}

/**
 * What a message record shows, by kind: text (a stored content kind, `messaging/content/`), a
 * call's record, the tombstone of a message deleted for everyone, or a membership event (derived locally, `conversations/membership-events.ts`). Each kind is listed in
 * `MESSAGE_KINDS` (`message-kinds.ts`), so TypeScript refuses a new one nobody decided about.
 * Narrow on `type` (or read text with {@link messageText}).
 */
export type MessageBody = TextBody | MembershipBody | DeletedBody | CallBody;

/**
 * A message as the user sees it — or, with a membership body, an event in its timeline. Stored
 * sealed in the messages table (store schema version 1: a `body` union; version 0 records had a
 * `text` field instead, converted by the `message-body` store migration). A membership event has
 * `from` = the actor's handle, `fromDeviceId` = the committing device ("" when not known),
 * `direction` "out" when this account is the actor, `sentAt` = when it happened (the server's
 * time of the commit's log entry when it came from the log) and `seq` = that entry's seq.
 */
export interface MessageRecord {
  /** The message's id: the same on every device for a message; each device's own for an event. */
  id: string;
  /** The conversation it belongs to. */
  conversationId: string;
  /** For a message in a community channel's conversation: the community. */
  communityId?: string;
  /** For a message in a community channel's conversation: the channel. */
  channelId?: string;
  /** Sender's handle. */
  from: string;
  /**
   * The sender's account id (from the MLS credential): who may edit or delete it. Absent on records
   * stored before it was kept (then nobody may edit them).
   */
  fromAccountId?: string;
  /** The sending device's id ("" when not known). */
  fromDeviceId: string;
  /** "out": sent by this account (from any of its devices); "in": sent by another account. */
  direction: "in" | "out";
  /** What the message carries. */
  body: MessageBody;
  /** Sender's clock, ms. */
  sentAt: number;
  /** This device's clock when stored, ms. */
  receivedAt: number;
  /**
   * Outgoing: "pending" until the server acknowledged it durably, "sent", then "delivered" and
   * "read" as receipts arrive from the other members. Incoming: "received".
   */
  status: "pending" | "sent" | "delivered" | "read" | "received";
  /** Its position in the conversation's group log on the server (absent until the server stored it). */
  seq?: number;
  /**
   * Outgoing: the other member accounts when it was sent (account ids). The status becomes
   * "delivered" / "read" once every one of them still in the conversation has reported it.
   */
  recipients?: string[];
  /** Outgoing: accounts whose devices reported the message delivered (a read counts too). */
  deliveredTo?: string[];
  /** Outgoing: accounts that reported the message read. */
  readBy?: string[];
  /** The id of the message this one replies to (it may be unknown here, or deleted). */
  replyTo?: string;
  /**
   * In a community channel: the id of the thread's root message (it may be unknown here, or
   * deleted) — the message is a reply in that thread, which UIs leave out of the channel's main
   * timeline (see `threads/threads-api.ts`). Kept when the message is deleted.
   */
  threadId?: string;
  /** Reactions, by the time each emoji was first used (absent or empty: none). */
  reactions?: MessageReaction[];
  /** Every edit, oldest first; `body.text` is the latest text (kept on this device only as received). */
  edits?: MessageEdit[];
  /** The text before the first edit. */
  originalText?: string;
  /** When it was last edited (editor's clock, ms): what a UI shows as "edited". */
  editedAt?: number;
  /** When it was pinned (absent: not pinned). */
  pinnedAt?: number;
  /**
   * Set on a message this device did not receive from its sender but from a member device that
   * shared a channel's history with it (that member's handle): a UI labels it "shared by @…", as
   * only that member vouches for it (Matrix MSC4268).
   */
  sharedBy?: string;
  /**
   * Who a text message mentions, as its sender's device derived it (`messaging/mentions.ts`), less
   * what its sender may not mention (`@everyone`, `@here` and roles need MENTION_EVERYONE).
   */
  mentions?: TextMentions;
  /**
   * True when it mentions this account (computed on receipt; incoming messages only): by handle,
   * or in a community channel by a role it holds, `@everyone`, or `@here` (when it arrived within
   * HERE_WINDOW_MS of being sent) from a sender holding MENTION_EVERYONE.
   */
  mentionsMe?: boolean;
  /**
   * The files a text message carries (`client.attachments` opens them; `body.text` is their
   * caption, "" for none). Set on receipt, and on an outgoing message once its files are uploaded.
   */
  attachments?: AttachmentPointer[];
  /**
   * Outgoing with files, until the server stored it: how far the upload is (see
   * `client.attachments.send`). Removed once the message is sent.
   */
  upload?: UploadState;
}

/** An encrypted message waiting to be accepted by the server. Stored sealed under `outbox:<n>`. */
export interface OutboxRecord {
  messageId: string;
  conversationId: string;
  epoch: number;
  ciphertext: string;
  queuedAt: number;
  /** What the message declares it carries (SendMessageBody `declares`), e.g. "mention-everyone". */
  declares?: MessageDeclaration[];
  /** The blobs the message points at (SendMessageBody `blobIds`). */
  blobIds?: string[];
}

/** Counts of messages this device could not decrypt, by cause (target: all zero). */
export type UndecryptableCounts = Record<string, number>;

/**
 * The text of a message when its body is text, else undefined (a membership event, a future
 * attachment or call event has none). What `volly receive --json` prints as `text`.
 */
export function messageText(message: Pick<MessageRecord, "body">): string | undefined {
  return message.body.type === "text" ? message.body.text : undefined;
}

/**
 * The community and channel of a channel conversation, to spread into its messages' records
 * (`{}` for any other conversation).
 */
export function channelOf(conv: {
  communityId?: string;
  channelId?: string;
}): Pick<MessageRecord, "communityId" | "channelId"> {
  return conv.communityId && conv.channelId
    ? { communityId: conv.communityId, channelId: conv.channelId }
    : {};
}

/**
 * A text body, with the link preview's known fields only (a later version's extra fields are not
 * kept).
 *
 * @param text the message's text
 * @param preview the sender's link preview, already validated against `LinkPreview`
 */
export function textBody(text: string, preview?: LinkPreview): TextBody {
  if (!preview) return { type: "text", text };
  const { url, title, description, siteName } = preview;
  const kept: LinkPreview = { url };
  if (title !== undefined) kept.title = title;
  if (description !== undefined) kept.description = description;
  if (siteName !== undefined) kept.siteName = siteName;
  return { type: "text", text, preview: kept };
}
