import type { ConversationRecord, NotificationRule, UserSettings } from "../worker/rpc-types.js";

/**
 * The UI's reading of the SDK's notification rules (`settings.notificationRules`, keys
 * `conversation:<id>` / `community:<id>`), for showing levels and mutes; whether a message
 * notifies is the SDK's decision (`sdk.notifications.decide`).
 */

/** The rule stored for a conversation (`{}` when none). */
export function conversationRule(settings: UserSettings, conversationId: string): NotificationRule {
  return settings.notificationRules[`conversation:${conversationId}`] ?? {};
}

/** The rule stored for a community (`{}` when none). */
export function communityRule(settings: UserSettings, communityId: string): NotificationRule {
  return settings.notificationRules[`community:${communityId}`] ?? {};
}

/** Whether a rule's mute holds at `now` (ms since the Unix epoch). */
export function ruleMuted(rule: NotificationRule, now: number): boolean {
  return rule.mutedUntil === "forever" || (typeof rule.mutedUntil === "number" && rule.mutedUntil > now);
}

/** Whether a conversation is muted at `now`: itself, or (a channel) its community. */
export function conversationMuted(
  settings: UserSettings,
  conversation: ConversationRecord,
  now: number,
): boolean {
  if (ruleMuted(conversationRule(settings, conversation.id), now)) return true;
  return (
    conversation.communityId !== undefined &&
    ruleMuted(communityRule(settings, conversation.communityId), now)
  );
}

/** "Muted until 14:05", "Muted until Tue 09:30", "Muted until you turn it back on", or "" when not muted. */
export function muteText(rule: NotificationRule, now: number): string {
  if (!ruleMuted(rule, now)) return "";
  if (rule.mutedUntil === "forever") return "Muted until you turn it back on";
  const until = new Date(rule.mutedUntil as number);
  const sameDay = until.toDateString() === new Date(now).toDateString();
  const time = until.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return sameDay
    ? `Muted until ${time}`
    : `Muted until ${until.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" })} ${time}`;
}
