import { VollyError } from "@volly/protocol";
import type { SettingsService } from "../account/settings.js";
import type { MessageRecord } from "../messaging/message-records.js";
import type { Presence } from "../presence/presence-api.js";
import { decideNotification, type NotificationDecision } from "./notification-decision.js";
import {
  communityRuleKey,
  conversationRuleKey,
  MUTE_PERIODS,
  type MutePeriod,
  muteUntil,
  NOTIFICATION_LEVELS,
  type NotificationLevel,
  type NotificationRule,
} from "./notification-settings.js";
import type { NotificationScope, Notifications } from "./notifications-api.js";

/** What {@link NotificationsService} reads. */
export interface NotificationsDeps {
  settings: SettingsService;
  presence: Pick<Presence, "ownStatus">;
  /** The community of a conversation (a channel's), if any. */
  communityOf(conversationId: string): Promise<string | undefined>;
  /** The clock, ms since the Unix epoch. */
  now?: () => number;
}

/** The SDK's {@link Notifications} (see there for each member). */
export class NotificationsService implements Notifications {
  constructor(private readonly deps: NotificationsDeps) {}

  async decide(
    message: Pick<MessageRecord, "direction" | "conversationId" | "body">,
    mentionsMe: boolean,
  ): Promise<NotificationDecision> {
    const [settings, communityId] = await Promise.all([
      this.deps.settings.get(),
      this.deps.communityOf(message.conversationId),
    ]);
    return decideNotification({
      message,
      ...(communityId ? { communityId } : {}),
      mentionsMe: mentionsMe === true,
      settings,
      now: this.now(),
      status: this.deps.presence.ownStatus.status,
    });
  }

  async rule(scope: NotificationScope): Promise<NotificationRule> {
    const key = keyOf(scope);
    return { ...(await this.deps.settings.get()).notificationRules[key] };
  }

  async setLevel(scope: NotificationScope, level: NotificationLevel | undefined): Promise<NotificationRule> {
    if (level !== undefined && !NOTIFICATION_LEVELS.includes(level)) {
      throw new VollyError(
        "VOLLY_E_USAGE",
        `A notification level is one of ${NOTIFICATION_LEVELS.join(", ")}.`,
        {
          setting: "notificationRules",
        },
      );
    }
    return this.change(scope, (rule) => ({ ...rule, level }));
  }

  async mute(scope: NotificationScope, period: MutePeriod): Promise<NotificationRule> {
    if (!Object.hasOwn(MUTE_PERIODS, period)) {
      throw new VollyError(
        "VOLLY_E_USAGE",
        `A mute period is one of ${Object.keys(MUTE_PERIODS).join(", ")}.`,
        {
          setting: "notificationRules",
        },
      );
    }
    const until = muteUntil(period, this.now());
    return this.change(scope, (rule) => ({ ...rule, mutedUntil: until }));
  }

  async unmute(scope: NotificationScope): Promise<NotificationRule> {
    return this.change(scope, (rule) => ({ ...rule, mutedUntil: undefined }));
  }

  /** Rewrites one rule (fields set to undefined are dropped; an empty rule is removed). */
  private async change(
    scope: NotificationScope,
    edit: (rule: NotificationRule) => NotificationRule,
  ): Promise<NotificationRule> {
    const key = keyOf(scope);
    const rules = { ...(await this.deps.settings.get()).notificationRules };
    const next = Object.fromEntries(
      Object.entries(edit({ ...rules[key] })).filter(([, v]) => v !== undefined),
    ) as NotificationRule;
    if (Object.keys(next).length === 0) delete rules[key];
    else rules[key] = next;
    await this.deps.settings.update({ notificationRules: rules });
    return next;
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function keyOf(scope: NotificationScope): string {
  const s = (typeof scope === "object" && scope !== null ? scope : {}) as Partial<
    Record<"conversationId" | "communityId", unknown>
  >;
  if (typeof s.conversationId === "string" && ID.test(s.conversationId)) {
    return conversationRuleKey(s.conversationId);
  }
  if (typeof s.communityId === "string" && ID.test(s.communityId)) return communityRuleKey(s.communityId);
  throw new VollyError("VOLLY_E_USAGE", "A notification scope is {conversationId} or {communityId}.", {
    setting: "notificationRules",
  });
}
