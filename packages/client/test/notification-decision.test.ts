import {
  communityRuleKey,
  conversationRuleKey,
  DEFAULT_SETTINGS,
  decideNotification,
  MUTE_PERIODS,
  muteUntil,
  type NotificationInput,
  type NotificationRules,
} from "@volly/client";
import { describe, expect, it } from "vitest";

const NOW = 1_800_000_000_000;
const CONV = "conv-1";
const COMMUNITY = "community-1";

/** A text message from someone else in CONV, judged at NOW by an online account with default settings. */
function input(over: Partial<NotificationInput> & { rules?: NotificationRules } = {}): NotificationInput {
  const { rules, ...rest } = over;
  return {
    message: { direction: "in", conversationId: CONV, body: { type: "text", text: "hi" } },
    mentionsMe: false,
    settings: { ...DEFAULT_SETTINGS, notificationRules: rules ?? {} },
    now: NOW,
    status: "online",
    ...rest,
  };
}

describe("decideNotification", () => {
  it("notifies a text message from someone else by default, without preview and with sound", () => {
    expect(decideNotification(input())).toEqual({ notify: true, preview: false, sound: true, level: "all" });
    const settings = { ...DEFAULT_SETTINGS, notificationPreviews: true, notificationSound: false };
    expect(decideNotification(input({ settings }))).toMatchObject({
      notify: true,
      preview: true,
      sound: false,
    });
  });

  it("own messages, membership events and tombstones never notify", () => {
    const own = input({
      message: { direction: "out", conversationId: CONV, body: { type: "text", text: "x" } },
    });
    expect(decideNotification(own)).toEqual({ notify: false, reason: "not-incoming" });
    const tombstone = input({
      message: {
        direction: "in",
        conversationId: CONV,
        body: { type: "deleted", deletedAt: NOW, by: { accountId: "a", handle: "a" } },
      },
    });
    expect(decideNotification(tombstone)).toEqual({ notify: false, reason: "not-incoming" });
  });

  it("notifications turned off silence everything, mentions too", () => {
    const settings = { ...DEFAULT_SETTINGS, notifications: false };
    expect(decideNotification(input({ settings, mentionsMe: true }))).toEqual({
      notify: false,
      reason: "disabled",
    });
  });

  it("do not disturb silences everything, mentions too; other statuses do not", () => {
    expect(decideNotification(input({ status: "dnd", mentionsMe: true }))).toEqual({
      notify: false,
      reason: "dnd",
    });
    for (const status of ["online", "idle", "invisible"] as const) {
      expect(decideNotification(input({ status })).notify, status).toBe(true);
    }
  });

  it("levels: all, mentions only (a mention passes), nothing (a mention does not)", () => {
    const level = (l: "all" | "mentions" | "none") => ({ [conversationRuleKey(CONV)]: { level: l } });
    expect(decideNotification(input({ rules: level("all") })).notify).toBe(true);
    expect(decideNotification(input({ rules: level("mentions") }))).toEqual({
      notify: false,
      reason: "level",
    });
    expect(decideNotification(input({ rules: level("mentions"), mentionsMe: true }))).toMatchObject({
      notify: true,
      level: "mentions",
    });
    expect(decideNotification(input({ rules: level("none"), mentionsMe: true }))).toEqual({
      notify: false,
      reason: "level",
    });
    // another conversation's rule does not apply
    expect(
      decideNotification(input({ rules: { [conversationRuleKey("other")]: { level: "none" } } })).notify,
    ).toBe(true);
  });

  it("a channel inherits its community's level unless it has its own", () => {
    const rules = { [communityRuleKey(COMMUNITY)]: { level: "mentions" as const } };
    expect(decideNotification(input({ rules, communityId: COMMUNITY }))).toEqual({
      notify: false,
      reason: "level",
    });
    expect(decideNotification(input({ rules, communityId: COMMUNITY, mentionsMe: true })).notify).toBe(true);
    const own = { ...rules, [conversationRuleKey(CONV)]: { level: "all" as const } };
    expect(decideNotification(input({ rules: own, communityId: COMMUNITY })).notify).toBe(true);
    // without the community id, the community's rule is not consulted
    expect(decideNotification(input({ rules })).notify).toBe(true);
  });

  it("a mute holds until it expires, silences mentions, and 'forever' holds", () => {
    const until = muteUntil("1h", NOW) as number;
    expect(until).toBe(NOW + MUTE_PERIODS["1h"]);
    const rules = { [conversationRuleKey(CONV)]: { mutedUntil: until } };
    expect(decideNotification(input({ rules, mentionsMe: true }))).toEqual({
      notify: false,
      reason: "muted",
    });
    expect(decideNotification(input({ rules, now: until - 1 })).notify).toBe(false);
    expect(decideNotification(input({ rules, now: until })).notify).toBe(true);
    expect(decideNotification(input({ rules, now: until + 1 })).notify).toBe(true);
    expect(muteUntil("8h", NOW)).toBe(NOW + 8 * 3_600_000);
    expect(muteUntil("1w", NOW)).toBe(NOW + 7 * 24 * 3_600_000);
    const forever = { [conversationRuleKey(CONV)]: { mutedUntil: muteUntil("forever", NOW) } };
    expect(decideNotification(input({ rules: forever, now: NOW + 10 * 365 * 24 * 3_600_000 })).notify).toBe(
      false,
    );
  });

  it("a muted community silences its channels, even one whose own level is all", () => {
    const rules = {
      [communityRuleKey(COMMUNITY)]: { mutedUntil: "forever" as const },
      [conversationRuleKey(CONV)]: { level: "all" as const },
    };
    expect(decideNotification(input({ rules, communityId: COMMUNITY }))).toEqual({
      notify: false,
      reason: "muted",
    });
  });
});
