/**
 * The notification preferences kept in the user's settings (`client.settings`, synced to the
 * account's devices): per-conversation and per-community levels and mutes, and their checks.
 */

/** What notifies in a conversation: every message, only messages that mention me, or nothing. */
export type NotificationLevel = "all" | "mentions" | "none";

/** The levels a UI offers, most to least. */
export const NOTIFICATION_LEVELS: readonly NotificationLevel[] = ["all", "mentions", "none"];

/**
 * One conversation's or community's notification rule. Absent fields inherit: a conversation's
 * from its community (channels), a community's from the global default ("all").
 */
export interface NotificationRule {
  /** The level here; absent: inherited. */
  level?: NotificationLevel;
  /**
   * Silenced until this time (ms since the Unix epoch; a time past means not muted), or
   * `"forever"`: until turned back on. Absent: not muted.
   */
  mutedUntil?: number | "forever";
}

/** The mute periods a UI offers: ms, or "forever" (until turned back on). */
export const MUTE_PERIODS = {
  "1h": 3_600_000,
  "8h": 8 * 3_600_000,
  "1w": 7 * 24 * 3_600_000,
  forever: "forever",
} as const;

/** A key of {@link MUTE_PERIODS}. */
export type MutePeriod = keyof typeof MUTE_PERIODS;

/**
 * Notification rules by scope: `"conversation:<conversation id>"` (DMs, groups, channels) and
 * `"community:<community id>"`. At most {@link MAX_NOTIFICATION_RULES} entries.
 */
export type NotificationRules = Record<string, NotificationRule>;

/** Most rules kept in the settings (one per conversation or community). */
export const MAX_NOTIFICATION_RULES = 2000;

/** The key of a conversation's rule in {@link NotificationRules}. */
export function conversationRuleKey(conversationId: string): string {
  return `conversation:${conversationId}`;
}

/** The key of a community's rule in {@link NotificationRules}. */
export function communityRuleKey(communityId: string): string {
  return `community:${communityId}`;
}

/**
 * The `mutedUntil` of a mute for `period` starting at `now`.
 *
 * @param period one of {@link MUTE_PERIODS}
 * @param now ms since the Unix epoch
 * @returns ms since the Unix epoch, or "forever"
 */
export function muteUntil(period: MutePeriod, now: number): number | "forever" {
  const span = MUTE_PERIODS[period];
  return span === "forever" ? "forever" : now + span;
}

/**
 * Whether a rule's mute is in force at `now` (ms since the Unix epoch): "forever", or a time after
 * `now`.
 */
export function isMuted(rule: NotificationRule | undefined, now: number): boolean {
  const until = rule?.mutedUntil;
  return until === "forever" || (typeof until === "number" && until > now);
}

const KEY = /^(conversation|community):[A-Za-z0-9_-]{1,64}$/;

/** Why `value` is not valid {@link NotificationRules}, or undefined when it is. */
export function notificationRulesProblem(value: unknown): string | undefined {
  const shape =
    'notificationRules maps "conversation:<id>" or "community:<id>" to {level?: "all" | "mentions" | "none", mutedUntil?: ms | "forever"}.';
  if (typeof value !== "object" || value === null || Array.isArray(value)) return shape;
  const entries = Object.entries(value);
  if (entries.length > MAX_NOTIFICATION_RULES) {
    return `notificationRules holds at most ${MAX_NOTIFICATION_RULES} entries.`;
  }
  for (const [key, rule] of entries) {
    if (!KEY.test(key) || !isRule(rule)) return shape;
  }
  return undefined;
}

function isRule(rule: unknown): rule is NotificationRule {
  if (typeof rule !== "object" || rule === null || Array.isArray(rule)) return false;
  for (const [field, v] of Object.entries(rule)) {
    if (field === "level") {
      if (!NOTIFICATION_LEVELS.includes(v as NotificationLevel)) return false;
    } else if (field === "mutedUntil") {
      if (v !== "forever" && !(typeof v === "number" && Number.isSafeInteger(v) && v >= 0)) return false;
    } else {
      return false;
    }
  }
  return true;
}
