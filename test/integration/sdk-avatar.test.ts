import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { fromBase64Url } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { linkDevice, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/**
 * The avatar as an encrypted attachment against a real `volly serve` process: alice sets one (a
 * file on disk, uploaded once, shared into both of her direct conversations); bob and carol see
 * its pointer on alice as a member and download the same bytes; alice removes it and they see none.
 * Set again, it reaches a DM dave starts later and erin, added to a later group, once alice speaks
 * there, and a device linked to alice afterwards (through the account document).
 */
describe("avatars: set once, shown in every conversation, removed (client.account)", () => {
  let server: ServerProcess;
  const home = tempDir("volly-sdk-avatar-");
  const open: VollyClient[] = [];
  let alice: VollyClient;
  let bob: VollyClient;
  let carol: VollyClient;
  const convs: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServerProcess(tempDir(), 0);
    [alice, bob, carol] = await Promise.all([
      newClient(home, server.url, "alice"),
      newClient(home, server.url, "bob"),
      newClient(home, server.url, "carol"),
    ]);
    open.push(alice, bob, carol);
    await Promise.all(open.map((c) => c.connect()));
    for (const [name, peer] of [
      ["bob", bob],
      ["carol", carol],
    ] as const) {
      const id = (await alice.resolveConversation(`@${name}`)).id;
      convs[name] = id;
      await waitFor(async () => (await peer.conversations.list()).some((c) => c.id === id), {
        timeoutMs: 30_000,
        message: `${name} has the conversation`,
      });
    }
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    await server?.stop();
  });

  it("bob and carol get alice's avatar pointer and its bytes; once removed they show none", async () => {
    const image = randomBytes(40_000);
    const thumbnail = randomBytes(3_000);
    const path = join(home, "me.webp");
    writeFileSync(path, image);
    const set = await alice.account.setAvatar({
      source: { path },
      name: "avatar.webp",
      mime: "image/webp",
      width: 256,
      height: 256,
      thumbnail,
    });
    expect(set.conversations).toBe(2);
    expect(set.avatar).toMatchObject({ kind: "image", mime: "image/webp", size: image.length });
    expect(alice.profile.avatar?.blobId).toBe(set.avatar?.blobId);

    for (const [name, peer] of [
      ["bob", bob],
      ["carol", carol],
    ] as const) {
      await waitFor(async () => (await peer.account.avatarOf(alice.profile.accountId)) !== undefined, {
        timeoutMs: 30_000,
        message: `${name} sees alice's avatar`,
      });
      const pointer = await peer.account.avatarOf(alice.profile.accountId);
      expect(pointer?.blobId).toBe(set.avatar?.blobId);
      expect(Buffer.from(fromBase64Url(pointer?.thumbnail ?? "")).equals(thumbnail)).toBe(true);
      const member = (await peer.conversations.get(convs[name] as string)).members?.find(
        (m) => m.accountId === alice.profile.accountId,
      );
      expect(member?.avatar?.blobId).toBe(set.avatar?.blobId);
      // carol is not in the conversation it was uploaded to: the server lets her read it anyway
      const bytes = await peer.attachments.download(pointer as NonNullable<typeof pointer>);
      expect(Buffer.from(bytes).equals(image)).toBe(true);
    }

    expect((await alice.account.removeAvatar()).conversations).toBe(2);
    expect(alice.profile.avatar).toBeUndefined();
    for (const peer of [bob, carol]) {
      await waitFor(async () => (await peer.account.avatarOf(alice.profile.accountId)) === undefined, {
        timeoutMs: 30_000,
        message: `${peer.profile.handle} no longer shows alice's avatar`,
      });
    }
  });

  it("reaches a DM started later, a member added later (once alice speaks) and a device linked later", async () => {
    const path = join(home, "me-again.webp");
    writeFileSync(path, randomBytes(20_000));
    const set = await alice.account.setAvatar({ source: { path }, name: "a.webp", mime: "image/webp" });
    const blobId = set.avatar?.blobId;
    const sees = (peer: VollyClient, what: string) =>
      waitFor(async () => (await peer.account.avatarOf(alice.profile.accountId))?.blobId === blobId, {
        timeoutMs: 30_000,
        message: what,
      });
    const [dave, erin] = await Promise.all([
      newClient(home, server.url, "dave"),
      newClient(home, server.url, "erin"),
    ]);
    open.push(dave, erin);
    await Promise.all([dave.connect(), erin.connect()]);

    // dave starts a DM with alice after the avatar was set; alice's reply brings it along
    const dm = (await dave.resolveConversation("@alice")).id;
    await waitFor(async () => (await alice.conversations.list()).some((c) => c.id === dm), {
      timeoutMs: 30_000,
      message: "alice has dave's conversation",
    });
    expect(await dave.account.avatarOf(alice.profile.accountId)).toBeUndefined();
    await alice.messaging.send(dm, "hi dave");
    await sees(dave, "dave sees alice's avatar after her reply");

    // a group made after the avatar; erin is added once alice already spoke there
    const group = (await alice.conversations.createGroup("later", ["bob"])).id;
    await alice.messaging.send(group, "hi bob");
    await alice.conversations.addMembers(group, ["erin"]);
    await waitFor(async () => (await erin.conversations.list()).some((c) => c.id === group), {
      timeoutMs: 30_000,
      message: "erin is in the group",
    });
    expect(await erin.account.avatarOf(alice.profile.accountId)).toBeUndefined();
    await alice.messaging.send(group, "welcome erin");
    await sees(erin, "erin sees alice's avatar once alice speaks after adding her");

    // a device linked afterwards learns its own account's avatar from the account document
    const second = await linkDevice(alice, home, "alice-2");
    open.push(second);
    await waitFor(async () => second.profile.avatar?.blobId === blobId, {
      timeoutMs: 30_000,
      message: "alice's new device knows her avatar",
    });
  });

  it("refuses a file that is not an image type before uploading anything", async () => {
    await expect(
      alice.account.setAvatar({ source: new Uint8Array(10), name: "x.pdf", mime: "application/pdf" }),
    ).rejects.toMatchObject({ code: "VOLLY_E_USAGE" });
  });
});
