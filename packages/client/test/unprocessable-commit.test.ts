import { messageText, RECOVERY_NOTICE, type VollyClient } from "@volly/client";
import { groupState, restApi } from "@volly/client/testing";
import { groupEpoch } from "@volly/crypto";
import { fromBase64Url, toBase64Url } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, texts, useTestServer } from "./helpers.js";

const epochOf = async (client: VollyClient, id: string) => groupEpoch(await groupState(client, id));

/**
 * Makes `client` post its commits with the last byte flipped: the last field of a member's public
 * commit is its membership tag (RFC 9420 §6.2), a MAC under the epoch's membership key. The delivery
 * service cannot check it (it has no group secrets), so it accepts the commit; the other members'
 * MLS refuses it. This stands for any commit that is validly framed and signed but that members
 * cannot process (a corrupted UpdatePath, a wrong confirmation tag): a buggy or malicious member.
 */
function corruptCommitsOf(client: VollyClient): void {
  const api = restApi(client);
  const call = api.call.bind(api);
  api.call = ((route: string, options: { body?: { commit?: string } } = {}) => {
    if (route === "commit" && options.body?.commit !== undefined) {
      const bytes = fromBase64Url(options.body.commit);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
      options = { ...options, body: { ...options.body, commit: toBase64Url(bytes) } };
    }
    return call(route as never, options as never);
  }) as typeof api.call;
}

describe("a member commit the delivery service accepted but a member cannot process (RFC 9420 §12.4.2)", () => {
  const bed = useTestServer();

  it("does not wedge the group: the member counts it, rejoins by external commit, and everyone talks again", async () => {
    const [alice, bob, dave] = (await bed.clients("alice", "bob", "dave")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    const group = await alice.conversations.createGroup("Ops", ["bob"]);
    const bobInbox = inbox(bob);
    const aliceInbox = inbox(alice);
    const daveInbox = inbox(dave);
    await waitFor(async () => (await bob.conversations.list()).length === 1, { message: "bob joined" });
    await alice.messaging.send(group.id, "before");
    await waitFor(() => bobInbox.length === 1, { message: "first message" });
    const diagnostics: string[] = [];
    bob.messaging.diagnostics.add((d) => diagnostics.push(`${d.kind}:${d.cause}`));
    const epochBefore = await epochOf(alice, group.id);

    // alice's commit adding dave reaches the server with a broken membership tag; it is accepted.
    corruptCommitsOf(alice);
    await alice.conversations.addMembers(group.id, ["dave"]);
    expect(await epochOf(alice, group.id)).toBe(epochBefore + 1);

    // bob cannot process it: counted by cause, then he rejoins from the GroupInfo the server keeps.
    await waitFor(async () => (await bob.messaging.recoveries()) === 1, { message: "bob resynced" });
    expect(diagnostics.slice(0, 2)).toEqual(["undecryptable:bad-signature", "resynced:bad-signature"]);
    expect((await bob.messaging.undecryptable())["bad-signature"]).toBe(1);
    expect(await bob.conversations.get(group.id)).toMatchObject({ notice: RECOVERY_NOTICE, recoveries: 1 });
    // dave joined from the Welcome (which was not damaged); alice and dave process bob's external commit.
    await waitFor(async () => (await dave.conversations.list()).length === 1, { message: "dave joined" });
    await waitFor(async () => (await epochOf(alice, group.id)) === epochBefore + 2, {
      message: "alice saw the rejoin",
    });
    await waitFor(async () => (await epochOf(dave, group.id)) === epochBefore + 2, {
      message: "dave saw the rejoin",
    });
    expect(await epochOf(bob, group.id)).toBe(epochBefore + 2);

    await alice.messaging.send(group.id, "after the bad commit");
    await bob.messaging.send(group.id, "bob is back");
    await dave.messaging.send(group.id, "dave is here");
    await waitFor(
      () =>
        bobInbox.some((m) => messageText(m) === "after the bad commit") &&
        bobInbox.some((m) => messageText(m) === "dave is here"),
      { message: "bob decrypts" },
    );
    await waitFor(
      () =>
        aliceInbox.some((m) => messageText(m) === "bob is back") &&
        aliceInbox.some((m) => messageText(m) === "dave is here"),
      { message: "alice decrypts" },
    );
    await waitFor(() => daveInbox.length === 2, { message: "dave decrypts" });
    expect(daveInbox.map((m) => messageText(m)).sort()).toEqual(["after the bad commit", "bob is back"]);
    expect(await texts(bob, group.id)).toContain("after the bad commit");
    expect(await alice.messaging.undecryptable()).toEqual({});
    expect(await dave.messaging.undecryptable()).toEqual({});
    expect(await bob.messaging.recoveries()).toBe(1);
  });
});
