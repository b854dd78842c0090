import type { CallEpochChange, VollyClient } from "@volly/client";
import { MlsSFrameContext } from "@volly/crypto";
import { newId, utf8, VollyError } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** A frame encrypted by `from` as its MLS member; the plaintext it carried. */
async function frameFrom(from: MlsSFrameContext, text: string): Promise<Uint8Array> {
  return from.encrypt(utf8(text));
}

/** An SFrame context holding `client`'s media keys of a call in a conversation. */
async function contextOf(
  client: VollyClient,
  conversationId: string,
  callId: string,
): Promise<MlsSFrameContext> {
  const ctx = new MlsSFrameContext();
  await ctx.setEpoch(await client.calls.mediaKeys(conversationId, callId));
  return ctx;
}

/**
 * Media keys of a call (`client.calls.mediaKeys`: SFrame keys from the conversation's MLS exporter,
 * RFC 9605 §5.2) against a real `volly serve`: three members of a group derive the same keys and
 * open each other's frames; when alice removes carol, the others' `epochChanges` fire, their new
 * keys open each other's frames, and carol can neither derive them nor open those frames with
 * what she had.
 */
describe("call media keys from the conversation's MLS group, on a server process", () => {
  let server: ServerProcess;
  const home = tempDir("volly-call-media-keys-");
  const open: VollyClient[] = [];

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    if (server?.child.exitCode === null) await server.stop();
  });

  it("members share a call's keys; after a removal they rotate and the removed member is locked out", async () => {
    const alice = await newClient(home, server.url, "alice");
    const bob = await newClient(home, server.url, "bob");
    const carol = await newClient(home, server.url, "carol");
    open.push(alice, bob, carol);
    await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
    const conv = await alice.conversations.createGroup("standup", ["bob", "carol"]);
    for (const member of [bob, carol]) {
      await waitFor(async () => (await member.conversations.list()).some((c) => c.id === conv.id));
    }
    const callId = newId();
    const a = await contextOf(alice, conv.id, callId);
    const b = await contextOf(bob, conv.id, callId);
    const c = await contextOf(carol, conv.id, callId);
    const ka = await alice.calls.mediaKeys(conv.id, callId);
    const kb = await bob.calls.mediaKeys(conv.id, callId);
    expect(kb.epoch).toBe(ka.epoch);
    expect(kb.baseKey).toEqual(ka.baseKey);
    expect(kb.ownSenderIndex).not.toBe(ka.ownSenderIndex);
    // Another call in the same epoch has other keys.
    expect((await alice.calls.mediaKeys(conv.id, newId())).baseKey).not.toEqual(ka.baseKey);
    const hello = await frameFrom(a, "frame before");
    for (const receiver of [b, c]) {
      expect(new TextDecoder().decode((await receiver.decrypt(hello)).plaintext)).toBe("frame before");
    }

    const changes: CallEpochChange[] = [];
    bob.calls.epochChanges.add((change) => changes.push(change));
    await alice.conversations.removeMember(conv.id, "carol");
    await waitFor(() =>
      changes.some((change) => change.conversationId === conv.id && change.epoch > ka.epoch),
    );
    const after = await alice.calls.mediaKeys(conv.id, callId);
    expect(after.epoch).toBeGreaterThan(ka.epoch);
    expect(after.baseKey).not.toEqual(ka.baseKey);
    await a.setEpoch(after);
    await b.setEpoch(await bob.calls.mediaKeys(conv.id, callId));
    const secret = await frameFrom(a, "frame after carol left");
    expect(new TextDecoder().decode((await b.decrypt(secret)).plaintext)).toBe("frame after carol left");
    // Carol's keys of the old epoch do not open it, and she cannot derive the new ones.
    await expect(c.decrypt(secret)).rejects.toThrow();
    await waitFor(async () => {
      const refused = await carol.calls.mediaKeys(conv.id, callId).catch((err: unknown) => err);
      return refused instanceof VollyError && refused.code === "VOLLY_E_NOT_GROUP_MEMBER";
    });
  });
});
