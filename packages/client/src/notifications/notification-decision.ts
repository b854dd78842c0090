import type { UserSettings } from "../account/settings-api.js";
import type { MessageRecord } from "../messaging/message-records.js";
import type { AccountStatus, PresenceState } from "../presence/presence-api.js";
import {
  communityRuleKey,
  conversationRuleKey,
  isMuted,
  type NotificationLevel,
} from "./notification-settings.js";

/** What {@link decideNotification} looks at. */
export interface NotificationInput {
  /** The message that arrived (only text messages received from someone else can notify). */
  message: Pick<MessageRecord, "direction" | "conversationId" | "body">;
  /** The community the message's conversation belongs to (a channel), for its rule. */
  communityId?: string;
  /** Whether the message mentions this account (an `@handle` of it, or a mention of everyone). */
  mentionsMe: boolean;
  /** The user's settings (`client.settings.get()`). */
  settings: Pick<
    UserSettings,
    "notifications" | "notificationPreviews" | "notificationSound" | "notificationRules"
  >;
  /** The time to judge mutes at, ms since the Unix epoch. */
  now: number;
  /** The account's own status (`client.presence.ownStatus.status`); "dnd" silences everything. */
  status: AccountStatus | PresenceState;
}

/** Why {@link decideNotification} stays silent. */
export type SilentReason =
  /** Not a text message someone else sent (own messages, membership events, tombstones). */
  | "not-incoming"
  /** Notifications are turned off in the settings. */
  | "disabled"
  /** The account's status is do not disturb. */
  | "dnd"
  /** The conversation or its community is muted. */
  | "muted"
  /** The level is "none", or "mentions" and the message does not mention this account. */
  | "level";

/** The verdict of {@link decideNotification}. */
export type NotificationDecision =
  | {
      notify: true;
      /** Show the message's text (else a neutral "New message"). */
      preview: boolean;
      /** Play the new-message sound. */
      sound: boolean;
      /** The level that applied. */
      level: NotificationLevel;
    }
  | { notify: false; reason: SilentReason };

/**
 * Decides whether a message notifies, and how. Pure: the same input gives the same answer. In order:
 * only a text message received from someone else notifies; nothing does while notifications are off
 * or the status is "dnd"; nothing does in a muted conversation or in a channel of a muted community
 * (a mute silences mentions too); then the level — the conversation's, else its community's, else
 * "all" — lets through every message ("all"), those mentioning this account ("mentions") or none.
 *
 * @param input the message, the settings, the time (ms) and the account's status
 * @returns `{notify: true, preview, sound, level}` or `{notify: false, reason}`
 */
export function decideNotification(input: NotificationInput): NotificationDecision {
  const { message, settings, now } = input;
  if (message.direction !== "in" || message.body.type !== "text") return silent("not-incoming");
  if (!settings.notifications) return silent("disabled");
  if (input.status === "dnd") return silent("dnd");
  const rules = settings.notificationRules;
  const own = rules[conversationRuleKey(message.conversationId)];
  const community = input.communityId ? rules[communityRuleKey(input.communityId)] : undefined;
  if (isMuted(own, now) || isMuted(community, now)) return silent("muted");
  const level = own?.level ?? community?.level ?? "all";
  if (level === "none" || (level === "mentions" && !input.mentionsMe)) return silent("level");
  return { notify: true, preview: settings.notificationPreviews, sound: settings.notificationSound, level };
}

function silent(reason: SilentReason): NotificationDecision {
  return { notify: false, reason };
}
