import type { VollyClient } from "@volly/client";
import { damageGroupState, groupState, restApi } from "@volly/client/testing";
import { groupEpoch } from "@volly/crypto";
import { type SendMessageBody, VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, reopenClient, texts, useTestServer } from "./helpers.js";

/**
 * Keeps `client`'s REST sends from reaching the server: the first one's body is kept for the test to
 * post later (`post`: the client's own call, unwrapped), and every send fails as if the server were
 * unreachable (the outbox keeps the entry).
 */
function holdSends(client: VollyClient) {
  const api = restApi(client);
  const call = api.call.bind(api);
  let held: SendMessageBody | undefined;
  api.call = ((route: string, options: { body?: SendMessageBody } = {}) => {
    if (route === "sendMessage") {
      held ??= options.body;
      return Promise.reject(new VollyError("VOLLY_E_SERVER_UNREACHABLE", "held by the test"));
    }
    return call(route as never, options as never);
  }) as typeof api.call;
  return {
    held: () => held,
    post: (groupId: string, body: SendMessageBody) => call("sendMessage", { params: { groupId }, body }),
  };
}

describe("messages of epochs before a device joined (RFC 9420 §15.3: sent while the commit adding it was in flight)", () => {
  const bed = useTestServer();

  it("are skipped by the joiner, not counted undecryptable; the members of that epoch read them", async () => {
    const [alice, bob, dave] = (await bed.clients("alice", "bob", "dave")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    const group = await alice.conversations.createGroup("Ops", ["bob"]);
    await waitFor(async () => (await bob.conversations.list()).length === 1, { message: "bob joined" });
    const aliceInbox = inbox(alice);
    const epoch = groupEpoch(await groupState(alice, group.id));

    // bob, offline, encrypts a message at the current epoch; it does not reach the server yet
    await bob.close();
    bed.untrack(bob);
    const offlineBob = bed.track(await reopenClient(bed.home, "bob"));
    const { held, post } = holdSends(offlineBob);
    await expect(offlineBob.messaging.send(group.id, "in flight")).rejects.toMatchObject({
      code: "VOLLY_E_SERVER_UNREACHABLE",
    });
    const body = held();
    expect(body?.epoch).toBe(epoch);

    // meanwhile alice adds dave: the group moves to the next epoch, which dave joins
    const diagnostics: string[] = [];
    dave.messaging.diagnostics.add((d) => diagnostics.push(`${d.kind}:${d.cause}`));
    await alice.conversations.addMembers(group.id, ["dave"]);
    await waitFor(async () => (await dave.conversations.list()).length === 1, { message: "dave joined" });
    expect(groupEpoch(await groupState(dave, group.id))).toBe(epoch + 1);

    // then bob's message arrives, after the commit that added dave (the delivery service accepts a
    // past epoch's message: it was encrypted before the commit)
    const { seq } = await post(group.id, body as SendMessageBody);
    await waitFor(async () => (await dave.conversations.get(group.id)).lastSeq >= seq, {
      message: "dave processed it",
    });
    await waitFor(() => aliceInbox.some((m) => m.body.type === "text" && m.body.text === "in flight"), {
      message: "alice",
    });

    expect(await dave.messaging.undecryptable()).toEqual({});
    expect(diagnostics).toEqual(["before-join:wrong-epoch"]);
    expect(await texts(dave, group.id)).not.toContain("in flight");

    // dave reads what is sent in his epochs
    await alice.messaging.send(group.id, "hi dave");
    await waitFor(async () => (await texts(dave, group.id)).includes("hi dave"), { message: "dave reads" });
    expect(await dave.messaging.undecryptable()).toEqual({});
  });
  it("are skipped after a rejoin by external commit too: the notice says messages may have been missed", async () => {
    const [alice, bob, carol] = (await bed.clients("alice", "bob", "carol")) as [
      VollyClient,
      VollyClient,
      VollyClient,
    ];
    const group = await alice.conversations.createGroup("Ops", ["bob", "carol"]);
    await waitFor(async () => (await carol.conversations.list()).length === 1, { message: "carol joined" });
    await waitFor(async () => (await bob.conversations.list()).length === 1, { message: "bob joined" });
    const epoch = groupEpoch(await groupState(alice, group.id));
    await bob.close();
    bed.untrack(bob);
    const offlineBob = bed.track(await reopenClient(bed.home, "bob"));
    const { held, post } = holdSends(offlineBob);
    await expect(offlineBob.messaging.send(group.id, "in flight")).rejects.toMatchObject({
      code: "VOLLY_E_SERVER_UNREACHABLE",
    });

    // carol loses her state; alice's next message makes her rejoin, into the next epoch
    const diagnostics: string[] = [];
    carol.messaging.diagnostics.add((d) => diagnostics.push(`${d.kind}:${d.cause}`));
    await damageGroupState(carol, group.id, "delete");
    await alice.messaging.send(group.id, "are you there");
    await waitFor(async () => (await carol.messaging.recoveries()) === 1, { message: "carol rejoined" });
    expect(groupEpoch(await groupState(carol, group.id))).toBe(epoch + 1);

    const { seq } = await post(group.id, held() as SendMessageBody);
    await waitFor(async () => (await carol.conversations.get(group.id)).lastSeq >= seq, {
      message: "carol processed it",
    });
    expect(await carol.messaging.undecryptable()).toEqual({ "missing-state": 1 });
    expect(diagnostics).toEqual([
      "undecryptable:missing-state",
      "resynced:missing-state",
      "before-join:wrong-epoch",
    ]);
  });
});
