import { join } from "node:path";
import { type LinkClaim, messageText, type VollyClient } from "@volly/client";
import { linkNodeProfile, profileExists } from "@volly/client/node";
import { groupState, HttpApi } from "@volly/client/testing";
import {
  fingerprint,
  formatLinkCode,
  generateIdentity,
  generateLinkSecret,
  groupMembers,
  linkProof,
  sign,
} from "@volly/crypto";
import { fromBase64Url, signingInput, toBase64Url, type VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, TEST_KDF, useTestServer } from "./helpers.js";

describe("linked devices (SDK): link, join every conversation, revoke", () => {
  const bed = useTestServer();

  /** Links a laptop to `alice` through the SDK on both sides; returns it connected. */
  async function linkLaptop(alice: VollyClient) {
    const link = await alice.devices.startLink();
    expect(link.code.startsWith(`volly-link:${bed.server.url}/${link.linkId}.`)).toBe(true);
    const [laptop, linked] = await Promise.all([
      linkNodeProfile(
        join(bed.home, "alice-laptop"),
        { code: link.code, pin: "123456", deviceName: "laptop", kdf: TEST_KDF, pollIntervalMs: 50 },
        { initialBackoffMs: 50, maxBackoffMs: 300 },
      ),
      alice.devices.waitAndApprove(link.linkId, link.secret, 10_000),
    ]);
    bed.track(laptop);
    return { laptop, linked };
  }

  it("the new device is added to every conversation and reads and sends in them", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const direct = await alice!.resolveConversation("@bob");
    const team = await alice!.conversations.createGroup("Team", ["bob"]);
    const { laptop, linked } = await linkLaptop(alice!);
    expect(laptop.profile).toMatchObject({ handle: "alice", accountId: alice!.profile.accountId });
    expect(linked).toMatchObject({ deviceId: laptop.profile.deviceId, name: "laptop", failed: [] });
    expect(linked.added.sort()).toEqual([direct.id, team.id].sort());

    const laptopInbox = inbox(laptop);
    await laptop.connect();
    await waitFor(async () => (await laptop.conversations.list()).length === 2, {
      message: "two conversations",
    });
    await waitFor(async () => (await laptop.conversations.get(team.id)).title === "Team", {
      message: "the group's name",
    });
    expect((await laptop.conversations.get(direct.id)).kind).toBe("direct");

    const aliceInbox = inbox(alice!);
    await bob!.messaging.send(team.id, "hi team");
    await waitFor(() => laptopInbox.length === 1 && aliceInbox.length === 1, {
      message: "bob's message on both devices",
    });
    const bobInbox = inbox(bob!);
    await laptop.messaging.send(direct.id, "from the laptop");
    await waitFor(() => bobInbox.some((m) => messageText(m) === "from the laptop"), {
      message: "the laptop's message at bob",
    });

    expect((await alice!.devices.list()).map((d) => [d.deviceId, d.current])).toEqual([
      [alice!.profile.deviceId, true],
      [laptop.profile.deviceId, false],
    ]);
  });

  it("a claim whose proof does not match the pairing code is not approved", async () => {
    const [alice] = await bed.clients("alice");
    const link = await alice!.devices.startLink();
    const identity = generateIdentity();
    const key = toBase64Url(identity.signaturePublicKey);
    const waiting = alice!.devices.waitAndApprove(link.linkId, link.secret, 10_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    // mallory claims the link from her own machine, over plain REST
    const mallory = new HttpApi(bed.server.url);
    await mallory.call("claimDeviceLink", {
      params: { linkId: link.linkId },
      body: {
        signaturePublicKey: key,
        name: "mallory",
        proof: linkProof(generateLinkSecret(), link.linkId, key),
        signature: toBase64Url(sign(identity.signaturePrivateKey, signingInput.linkClaim(link.linkId, key))),
      },
    });
    expect(await waiting).toMatchObject({ code: "VOLLY_E_LINK_INVALID" });
    expect((await mallory.call("getDeviceLink", { params: { linkId: link.linkId } })).status).toBe("claimed");
    expect(await alice!.devices.list()).toHaveLength(1);
    expect(formatLinkCode(bed.server.url, link.linkId, link.secret)).toBe(link.code);
  });

  it("declined at `confirm`: the new device's linkProfile fails with VOLLY_E_LINK_DECLINED at once, having shown the same fingerprint", async () => {
    const [alice] = await bed.clients("alice");
    const link = await alice!.devices.startLink();
    const dir = join(bed.home, "alice-phone");
    const claims: LinkClaim[] = [];
    let outcome: unknown;
    void linkNodeProfile(dir, {
      code: link.code,
      pin: "123456",
      deviceName: "phone",
      kdf: TEST_KDF,
      pollIntervalMs: 50,
      onClaimed: (claim) => claims.push(claim),
    }).then(
      (client) => {
        bed.track(client);
        outcome = "linked";
      },
      (e: unknown) => {
        outcome = e;
      },
    );
    let shown: string | undefined;
    const declined = await alice!.devices
      .waitAndApprove(link.linkId, link.secret, 10_000, {
        confirm: (claim) => {
          shown = fingerprint(fromBase64Url(claim.signaturePublicKey));
          return false;
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(declined).toMatchObject({
      code: "VOLLY_E_LINK_DECLINED",
      details: { linkId: link.linkId, newDeviceTold: true },
    });
    // Told at its next poll, not when the link's 15 minutes are up.
    await waitFor(() => outcome !== undefined, {
      message: "the new device to learn of the decline",
      timeoutMs: 10_000,
    });
    expect(outcome).toMatchObject({ code: "VOLLY_E_LINK_DECLINED" });
    expect(shown).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claims).toEqual([
      { linkId: link.linkId, signaturePublicKey: expect.any(String), fingerprint: shown },
    ]);

    const server = new HttpApi(bed.server.url);
    expect((await server.call("getDeviceLink", { params: { linkId: link.linkId } })).status).toBe("declined");
    expect(await alice!.devices.list()).toHaveLength(1);
    // Nothing was sealed: the same directory can be linked with a new code.
    expect(await profileExists(dir)).toBe(false);
  });

  it("a revoked device is disconnected with VOLLY_E_DEVICE_REVOKED and stops reconnecting", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const team = await alice!.conversations.createGroup("Team", ["bob"]);
    const { laptop } = await linkLaptop(alice!);
    await laptop.connect();
    const errors: VollyError[] = [];
    laptop.connection.errors.add((e) => errors.push(e));
    // Team and the account's own (hidden) sync conversation.
    expect(await alice!.devices.revoke(laptop.profile.deviceId)).toEqual({
      deviceId: laptop.profile.deviceId,
      departures: 2,
    });
    await waitFor(() => errors.some((e) => e.code === "VOLLY_E_DEVICE_REVOKED"), {
      message: "the revocation error",
    });
    await waitFor(() => laptop.connection.state === "offline", { message: "the connection to stop" });
    // The remaining members commit the revoked device's Remove after its departure.
    await waitFor(
      async () =>
        !groupMembers(await groupState(bob!, team.id)).some(
          (m) => m.credential.deviceId === laptop.profile.deviceId,
        ),
      { message: "the laptop's removal at bob" },
    );
  });
});
