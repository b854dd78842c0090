import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { useTestServer } from "./helpers.js";

/** Deletes every REST session the server holds (as an expiry or a server-side logout would). */
function forgetSessions(dataDir: string): number {
  const db = new Database(join(dataDir, "volly.db"));
  try {
    db.pragma("busy_timeout = 5000");
    return db.prepare("DELETE FROM sessions").run().changes;
  } finally {
    db.close();
  }
}

describe("the transport authenticates by itself (HttpApi: one session per device, renewed on VOLLY_E_NOT_AUTHENTICATED)", () => {
  const bed = useTestServer();

  it("after the server forgot the device's session, creating a group, admin look-ups and leaving sign in again", async () => {
    const [alice, bob] = (await bed.clients("alice", "bob")) as [VollyClient, VollyClient];
    await alice.authenticate();
    expect(forgetSessions(bed.server.dataDir)).toBeGreaterThan(0);

    // createGroup (POST /v1/groups), the key package claim and the commit all need the session.
    const group = await alice.conversations.createGroup("Renewed", ["bob"]);
    // (a 2-account group joined by Welcome is a group once its name arrived)
    await waitFor(async () => (await bob.conversations.list())[0]?.kind === "group", {
      message: "bob joined the group",
    });
    expect(await alice.conversations.admins(group.id)).toEqual([alice.profile.accountId]);

    forgetSessions(bed.server.dataDir);
    await bob.conversations.leave(group.id);
    await waitFor(async () => (await alice.conversations.get(group.id)).members?.length === 0, {
      message: "alice to commit bob's departure",
    });
  });
});
