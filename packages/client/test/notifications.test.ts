import { describe, expect, it } from "vitest";
import { useTestServer } from "./helpers.js";

describe("client.notifications", () => {
  const bed = useTestServer();

  it("levels and mutes are stored in the settings; decide follows them and do not disturb", async () => {
    const [alice] = await bed.clients("alice");
    const n = alice!.notifications;
    const conv = { conversationId: "conv_1" };
    const message = {
      direction: "in" as const,
      conversationId: "conv_1",
      body: { type: "text" as const, text: "hi" },
    };
    expect(await n.rule(conv)).toEqual({});
    expect(await n.decide(message, false)).toMatchObject({ notify: true, level: "all" });

    expect(await n.setLevel(conv, "mentions")).toEqual({ level: "mentions" });
    expect(await n.decide(message, false)).toEqual({ notify: false, reason: "level" });
    expect(await n.decide(message, true)).toMatchObject({ notify: true, level: "mentions" });

    const before = Date.now();
    const muted = await n.mute(conv, "8h");
    expect(muted.level).toBe("mentions");
    expect(muted.mutedUntil).toBeGreaterThanOrEqual(before + 8 * 3_600_000);
    expect(await n.decide(message, true)).toEqual({ notify: false, reason: "muted" });
    expect((await alice!.settings.get()).notificationRules).toEqual({ "conversation:conv_1": muted });

    expect(await n.unmute(conv)).toEqual({ level: "mentions" });
    expect(await n.setLevel(conv, undefined)).toEqual({});
    expect((await alice!.settings.get()).notificationRules).toEqual({});

    await alice!.presence.setStatus("dnd");
    expect(await n.decide(message, true)).toEqual({ notify: false, reason: "dnd" });
    await alice!.presence.setStatus("online");
    expect((await n.decide(message, false)).notify).toBe(true);

    await expect(n.setLevel(conv, "loud" as never)).rejects.toMatchObject({ code: "VOLLY_E_USAGE" });
    await expect(n.mute(conv, "2h" as never)).rejects.toMatchObject({ code: "VOLLY_E_USAGE" });
    await expect(n.mute({ conversationId: "not an id" }, "1h")).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
  });
});
