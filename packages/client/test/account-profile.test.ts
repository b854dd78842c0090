import { join } from "node:path";
import { linkNodeProfile } from "@volly/client/node";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { newClient, reopenClient, TEST_KDF, useTestServer } from "./helpers.js";

describe("the account's display name (client.account)", () => {
  const bed = useTestServer();

  it("a new name reaches the directory, this device's profile, and each conversation's members", async () => {
    const [alice, bob, carol] = await bed.clients("alice", "bob", "carol");
    const direct = await alice!.resolveConversation("@bob");
    const team = await alice!.conversations.createGroup("Team", ["bob", "carol"]);
    await waitFor(async () => (await bob!.conversations.list()).length === 2, { message: "bob joins both" });
    await waitFor(async () => (await carol!.conversations.list()).length === 1, { message: "carol joins" });
    const changed: string[] = [];
    bob!.conversations.changes.add((c) => changed.push(c.id));

    expect(await alice!.account.setDisplayName("  Alice Liddell ")).toEqual({
      displayName: "Alice Liddell",
      conversations: 2,
    });
    expect(alice!.profile.displayName).toBe("Alice Liddell");
    expect((await bob!.lookup("alice")).displayName).toBe("Alice Liddell");

    await waitFor(async () => (await bob!.conversations.get(direct.id)).title === "Alice Liddell", {
      message: "bob's direct conversation takes the new name",
    });
    await waitFor(
      async () =>
        (await carol!.conversations.get(team.id)).members?.find((m) => m.handle === "alice")?.displayName ===
        "Alice Liddell",
      { message: "carol sees alice's new name in the group" },
    );
    // the group keeps its own name; the change is announced
    expect((await bob!.conversations.get(team.id)).title).toBe("Team");
    expect(changed).toContain(direct.id);
  });

  it("refuses a blank or too long name without changing anything; the name survives a reopen", async () => {
    const alice = bed.track(await newClient(bed.home, bed.server.url, "alice", { displayName: "Alice" }));
    await alice.connect();
    for (const bad of ["", "   ", "x".repeat(65)]) {
      await expect(alice.account.setDisplayName(bad)).rejects.toMatchObject({ code: "VOLLY_E_USAGE" });
    }
    expect((await alice.lookup("alice")).displayName).toBe("Alice");
    await alice.account.setDisplayName("Alice B");
    await alice.close();
    bed.untrack(alice);
    const reopened = bed.track(await reopenClient(bed.home, "alice"));
    expect(reopened.profile.displayName).toBe("Alice B");
  });

  it("another device of the account takes the new name from the profile message", async () => {
    const [alice] = await bed.clients("alice", "bob");
    await alice!.resolveConversation("@bob");
    const link = await alice!.devices.startLink();
    const [laptop] = await Promise.all([
      linkNodeProfile(
        join(bed.home, "alice-laptop"),
        { code: link.code, pin: "123456", deviceName: "laptop", kdf: TEST_KDF, pollIntervalMs: 50 },
        { initialBackoffMs: 50, maxBackoffMs: 300 },
      ),
      alice!.devices.waitAndApprove(link.linkId, link.secret, 10_000),
    ]);
    bed.track(laptop);
    await laptop.connect();
    await waitFor(async () => (await laptop.conversations.list()).length === 1, { message: "laptop joins" });
    await alice!.account.setDisplayName("Alice Everywhere");
    await waitFor(() => laptop.profile.displayName === "Alice Everywhere", {
      message: "the laptop's profile takes the name",
    });
  });
});
