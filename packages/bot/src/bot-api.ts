import type { VollyClient } from "@volly/client";
import type { EntityType } from "@volly/protocol";
import type { ConversationSummary, MemberEvent, MessageEvent } from "./events.js";

/** Options of `startBot` (packages/bot/src/start-bot.ts). */
export interface BotOptions {
  /** Profile directory (SQLite store, sealed at rest). Created with a new account when missing. */
  dir: string;
  /**
   * The 6-digit PIN that seals the profile at rest: needed to create a profile, and to open one
   * sealed under a PIN. Never sent anywhere. Give `secret` or `apiKey` (or both when creating).
   */
  secret?: string;
  /**
   * An API key of the bot's account (`vly_…`, from `volly apikey create` or an unattended
   * `volly init`): opens a profile sealed under that key, without a PIN, and authenticates the
   * bot's sessions with it, so the server applies its scopes, expiry and revocation
   * (docs/machine-members/api-keys.md).
   */
  apiKey?: string;
  /** Server URL (`http://127.0.0.1:8080`): needed when the profile is created. */
  server?: string;
  /** Handle of a new account (3–32 of a-z 0-9 _ . -): needed when the profile is created. */
  handle?: string;
  /** Entity type of a new account (default "bot"). */
  type?: EntityType;
  /** Display name of a new account. */
  displayName?: string;
  /**
   * Direct paths to member devices (issue 17): WebRTC data channels (werift) signaled inside MLS,
   * found on the LAN by mDNS/DNS-SD; messages then also go straight to linked members, and keep
   * flowing on the LAN while the server is unreachable. Default false: nothing is announced on the
   * LAN unless asked.
   */
  direct?: boolean;
  /** Join conversations it is invited to (groups, community channels) by itself. Default true. */
  autoJoin?: boolean;
  /**
   * Where the bot writes its log lines (joins, rejoins after a lost state, failed handlers), one
   * line per call, without a trailing newline. Default: standard error.
   */
  log?: (line: string) => void;
}

/** Options of {@link Bot.send} and {@link IncomingMessage.reply}. */
export interface BotSendOptions {
  /** The id of the message this one answers. */
  replyTo?: string;
  /** A thread of a community channel. */
  threadId?: string;
  /** Local file paths to attach (encrypted, uploaded, then sent with the text). */
  files?: string[];
}

/** A received message with shortcuts to answer it. */
export interface IncomingMessage extends MessageEvent {
  /** Sends `text` into the same conversation (and thread) as a reply to this message. */
  reply(text: string, options?: Omit<BotSendOptions, "replyTo">): Promise<MessageEvent>;
  /** Reacts to this message with `emoji`. */
  react(emoji: string): Promise<void>;
}

/**
 * A machine member — a bot, an AI agent, a service or a device — connected and listening: an MLS
 * member with its own device keys, like a person's device.
 */
export interface Bot {
  /** The account id. */
  readonly accountId: string;
  /** The account's handle. */
  readonly handle: string;
  /** The full SDK client underneath, for what this surface does not cover. */
  readonly client: VollyClient;
  /** Calls `listener` for every message from another account, once each, in order per conversation. Returns an unsubscribe function. */
  onMessage(listener: (message: IncomingMessage) => void | Promise<void>): () => void;
  /** Calls `listener` with every event as JSON (own messages from other devices included). Returns an unsubscribe function. */
  onEvent(listener: (event: MemberEvent) => void): () => void;
  /**
   * Sends a message; resolves once the server stored it. `conversationId` may also be `@handle` (the
   * direct conversation with that account, opened on first use) or a community channel's id.
   */
  send(conversationId: string, text: string, options?: BotSendOptions): Promise<MessageEvent>;
  /** Reacts to a message. */
  react(conversationId: string, messageId: string, emoji: string): Promise<void>;
  /** The conversations this member is in. */
  conversations(): Promise<ConversationSummary[]>;
  /** The newest messages of a conversation, oldest first (default limit 50, at most 500). */
  messages(conversationId: string, options?: { limit?: number }): Promise<MessageEvent[]>;
  /** Disconnects and closes the store. */
  close(): Promise<void>;
}
