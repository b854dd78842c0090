import { DEFAULT_SETTINGS } from "@volly/client";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { connectedClients, reopenClient, useTestServer } from "./helpers.js";

describe("safety numbers and settings", () => {
  const bed = useTestServer();

  it("both sides compute the same safety number from the shared group's keys; another contact's differs", async () => {
    const [alice, bob, carol] = await bed.clients("alice", "bob", "carol");
    await alice!.resolveConversation("@bob");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    const ab = await alice!.verification.safetyNumber("@bob");
    const ba = await bob!.verification.safetyNumber("alice");
    expect(ab).toMatchObject({ handle: "bob", source: "group" });
    expect(ba.source).toBe("group");
    expect(ab.digits).toBe(ba.digits);
    expect(ab.qrPayload).toBe(ba.qrPayload);
    expect(ab.digits).toMatch(/^(\d{5} ){11}\d{5}$/);

    // No shared group: the directory's keys, still symmetric, and a different number.
    const ac = await alice!.verification.safetyNumber("carol");
    const ca = await carol!.verification.safetyNumber("alice");
    expect(ac.source).toBe("directory");
    expect(ac.digits).toBe(ca.digits);
    expect(ac.digits).not.toBe(ab.digits);
    // With an honest directory the group's keys and the directory's give the same number.
    await carol!.resolveConversation("@alice");
    await waitFor(async () => (await alice!.conversations.list()).length === 2, {
      message: "alice joins carol's",
    });
    const acGroup = await alice!.verification.safetyNumber("carol");
    expect(acGroup.source).toBe("group");
    expect(acGroup.digits).toBe(ac.digits);
    await expect(alice!.verification.safetyNumber("nobody-at-all")).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_HANDLE",
    });
    await expect(alice!.verification.safetyNumber("Not A Handle")).rejects.toMatchObject({
      code: "VOLLY_E_HANDLE_INVALID",
    });
  });

  it("settings: defaults, validated updates (VOLLY_E_USAGE, nothing changed), persisted across reopen", async () => {
    const [alice] = await connectedClients(bed.server, bed.home, ["alice"]);
    expect(await alice!.settings.get()).toEqual(DEFAULT_SETTINGS);
    const seen: unknown[] = [];
    alice!.settings.changes.add((s) => seen.push(s));
    expect(await alice!.settings.update({ theme: "dark", fontScale: 1.25 })).toEqual({
      ...DEFAULT_SETTINGS,
      readReceipts: true,
      theme: "dark",
      fontScale: 1.25,
      linkPreviews: false,
    });
    const bad: unknown[] = [
      { theme: "purple" },
      { fontScale: 0.79 },
      { fontScale: 1.61 },
      { fontScale: Number.NaN },
      { fontScale: "1.2" },
      { readReceipts: "no" },
      { notifications: "yes" },
      { notificationSound: 1 },
      { notificationRules: [] },
      { notificationRules: { "conversation:abc": { level: "loud" } } },
      { notificationRules: { "room:abc": {} } },
      { notificationRules: { "community:abc": { mutedUntil: -1 } } },
      { linkPreviews: "yes" },
      { colour: "red" },
    ];
    for (const patch of bad) {
      await expect(alice!.settings.update(patch as never), JSON.stringify(patch)).rejects.toMatchObject({
        code: "VOLLY_E_USAGE",
      });
    }
    await alice!.settings.update({ readReceipts: false, fontScale: 0.8, linkPreviews: true });
    expect(seen).toHaveLength(2);
    await alice!.close();
    const again = bed.track(await reopenClient(bed.home, "alice"));
    expect(await again.settings.get()).toEqual({
      ...DEFAULT_SETTINGS,
      readReceipts: false,
      theme: "dark",
      fontScale: 0.8,
      linkPreviews: true,
    });
  });
});
