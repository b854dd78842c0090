import type { MessageRecord } from "../messaging/message-records.js";
import type { NotificationDecision } from "./notification-decision.js";
import type { MutePeriod, NotificationLevel, NotificationRule } from "./notification-settings.js";

/** A conversation (DM, group or channel) or a community, whose notification rule is meant. */
export type NotificationScope = { conversationId: string } | { communityId: string };

/**
 * `client.notifications`: whether a message notifies (the pure `decideNotification` applied to the
 * current settings, time and status), and the per-conversation and per-community levels and mutes,
 * kept in `settings.notificationRules` (synced to the account's devices). Showing a notification is
 * the UI's part (a browser's service worker, a desktop notifier).
 */
export interface Notifications {
  /**
   * Decides whether `message` notifies now, with the current settings, the time and the account's
   * status ("dnd" silences); the community of a channel is looked up.
   *
   * @param message the message that arrived
   * @param mentionsMe whether it mentions this account
   * @returns the decision (see `decideNotification`)
   */
  decide(
    message: Pick<MessageRecord, "direction" | "conversationId" | "body">,
    mentionsMe: boolean,
  ): Promise<NotificationDecision>;

  /** The rule stored for `scope` (`{}` when none). */
  rule(scope: NotificationScope): Promise<NotificationRule>;

  /**
   * Sets the level of `scope`; undefined removes it (the conversation inherits its community's,
   * a community the default "all").
   *
   * @throws VollyError VOLLY_E_USAGE for a level not in `NOTIFICATION_LEVELS` or a malformed scope id
   */
  setLevel(scope: NotificationScope, level: NotificationLevel | undefined): Promise<NotificationRule>;

  /**
   * Mutes `scope` for a period from now (1 h, 8 h, 1 week, or until {@link Notifications.unmute}).
   *
   * @throws VollyError VOLLY_E_USAGE for a period not in `MUTE_PERIODS` or a malformed scope id
   */
  mute(scope: NotificationScope, period: MutePeriod): Promise<NotificationRule>;

  /** Ends a mute of `scope`. @throws VollyError VOLLY_E_USAGE for a malformed scope id */
  unmute(scope: NotificationScope): Promise<NotificationRule>;
}
