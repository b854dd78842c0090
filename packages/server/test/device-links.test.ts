import { formatLinkCode, generateLinkSecret, linkProof, parseLinkCode, verifyLinkProof } from "@volly/crypto";
import { GatewayOp, LIMITS, signingInput } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HttpDevice } from "./helpers/app.js";
import { expectCode } from "./helpers/expect-code.js";
import { connectGateway, identifyFrame } from "./helpers/gateway-client.js";
import { newKeys, signB64, type TestKeys } from "./helpers/identity.js";
import { useLiveServer } from "./helpers/live-server.js";
import {
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

/** The claim body a new device sends for `linkId` with `secret`. */
function claimBody(linkId: string, secret: Uint8Array, keys: TestKeys, name = "laptop") {
  return {
    signaturePublicKey: keys.publicKeyB64,
    name,
    proof: linkProof(secret, linkId, keys.publicKeyB64),
    signature: signB64(keys, signingInput.linkClaim(linkId, keys.publicKeyB64)),
  };
}

const approveSignature = (creator: { accountId: string; keys: TestKeys }, linkId: string, key: string) =>
  signB64(creator.keys, signingInput.linkApprove(creator.accountId, linkId, key));

forEachBackend((backend) => {
  describe("device links and revocation (services)", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
    });
    afterEach(() => f.close());

    it("a link expires after LIMITS.deviceLinkTtlMs: claim and approval fail with VOLLY_E_LINK_EXPIRED", async () => {
      const { linkId, expiresAt } = await f.services.deviceLinks.create(alice);
      expect(expiresAt).toBe(f.clock.now() + LIMITS.deviceLinkTtlMs);
      f.clock.advance(LIMITS.deviceLinkTtlMs);
      expect((await f.services.deviceLinks.status(linkId)).status).toBe("expired");
      await expectCode(
        f.services.deviceLinks.claim(linkId, claimBody(linkId, generateLinkSecret(), newKeys())),
        "VOLLY_E_LINK_EXPIRED",
      );

      const second = await f.services.deviceLinks.create(alice);
      const keys = newKeys();
      await f.services.deviceLinks.claim(second.linkId, claimBody(second.linkId, generateLinkSecret(), keys));
      f.clock.advance(LIMITS.deviceLinkTtlMs);
      await expectCode(
        f.services.deviceLinks.approve(
          alice,
          second.linkId,
          approveSignature(alice, second.linkId, keys.publicKeyB64),
        ),
        "VOLLY_E_LINK_EXPIRED",
      );
    });

    it("a link is single use: a second claim fails with VOLLY_E_LINK_INVALID", async () => {
      const { linkId } = await f.services.deviceLinks.create(alice);
      const secret = generateLinkSecret();
      expect((await f.services.deviceLinks.claim(linkId, claimBody(linkId, secret, newKeys()))).status).toBe(
        "claimed",
      );
      await expectCode(
        f.services.deviceLinks.claim(linkId, claimBody(linkId, secret, newKeys())),
        "VOLLY_E_LINK_INVALID",
      );
    });

    it("refuses an unknown link, a bad claim signature and a key already registered", async () => {
      const { linkId } = await f.services.deviceLinks.create(alice);
      await expectCode(f.services.deviceLinks.status("AAAAAAAAAAAAAAAAAAAAAA"), "VOLLY_E_LINK_INVALID");
      const keys = newKeys();
      const forged = {
        ...claimBody(linkId, generateLinkSecret(), keys),
        signature: signB64(newKeys(), new Uint8Array(1)),
      };
      await expectCode(f.services.deviceLinks.claim(linkId, forged), "VOLLY_E_BAD_SIGNATURE");
      await expectCode(
        f.services.deviceLinks.claim(linkId, claimBody(linkId, generateLinkSecret(), bob.keys)),
        "VOLLY_E_KEY_TAKEN",
      );
      expect((await f.services.deviceLinks.status(linkId)).status).toBe("open");
    });

    it("only the creating device approves, with its own signature over linkApprove", async () => {
      const { linkId } = await f.services.deviceLinks.create(alice);
      const keys = newKeys();
      await f.services.deviceLinks.claim(linkId, claimBody(linkId, generateLinkSecret(), keys));
      const wrong = signB64(bob.keys, signingInput.linkApprove(alice.accountId, linkId, keys.publicKeyB64));
      await expectCode(f.services.deviceLinks.approve(alice, linkId, wrong), "VOLLY_E_BAD_SIGNATURE");
      const otherKey = approveSignature(alice, linkId, newKeys().publicKeyB64);
      await expectCode(f.services.deviceLinks.approve(alice, linkId, otherKey), "VOLLY_E_BAD_SIGNATURE");
      await expectCode(
        f.services.deviceLinks.approve(bob, linkId, approveSignature(bob, linkId, keys.publicKeyB64)),
        "VOLLY_E_LINK_INVALID",
      );
      const { deviceId } = await f.services.deviceLinks.approve(
        alice,
        linkId,
        approveSignature(alice, linkId, keys.publicKeyB64),
      );
      expect(await f.services.deviceLinks.status(linkId)).toMatchObject({
        status: "approved",
        deviceId,
        accountId: alice.accountId,
        handle: "alice",
      });
      await expectCode(
        f.services.deviceLinks.approve(alice, linkId, approveSignature(alice, linkId, keys.publicKeyB64)),
        "VOLLY_E_LINK_INVALID",
      );
      const entry = await f.services.accounts.getAccount("alice");
      // Both devices were created at the same (test clock) time: the directory orders them by id then.
      expect(entry.devices.map((d) => [d.deviceId, d.name]).sort()).toEqual(
        [
          [alice.deviceId, "test device"],
          [deviceId, "laptop"],
        ].sort(),
      );
    });

    it("the creating device declines a claimed link: status declined, no device, claim and approve refused for good", async () => {
      const { linkId } = await f.services.deviceLinks.create(alice);
      const keys = newKeys();
      const secret = generateLinkSecret();
      await f.services.deviceLinks.claim(linkId, claimBody(linkId, secret, keys));
      expect(await f.services.deviceLinks.decline(alice, linkId)).toMatchObject({
        linkId,
        status: "declined",
      });
      const status = await f.services.deviceLinks.status(linkId);
      expect(status).toMatchObject({ status: "declined" });
      expect(status.deviceId).toBeUndefined();
      // Idempotent: declining again answers the same status.
      expect(await f.services.deviceLinks.decline(alice, linkId)).toEqual(status);

      await expectCode(
        f.services.deviceLinks.approve(alice, linkId, approveSignature(alice, linkId, keys.publicKeyB64)),
        "VOLLY_E_LINK_DECLINED",
      );
      await expectCode(
        f.services.deviceLinks.claim(linkId, claimBody(linkId, secret, newKeys())),
        "VOLLY_E_LINK_DECLINED",
      );
      expect((await f.services.accounts.getAccount("alice")).devices.map((d) => d.deviceId)).toEqual([
        alice.deviceId,
      ]);
      // Final: it stays declined past its expiry (the new device is told why, not "expired").
      f.clock.advance(LIMITS.deviceLinkTtlMs);
      expect((await f.services.deviceLinks.status(linkId)).status).toBe("declined");
      expect((await f.services.deviceLinks.decline(alice, linkId)).status).toBe("declined");
    });

    it("only the creating device declines, and only a claimed, unexpired, unapproved link", async () => {
      const { linkId } = await f.services.deviceLinks.create(alice);
      await expectCode(f.services.deviceLinks.decline(alice, linkId), "VOLLY_E_LINK_INVALID"); // not claimed
      const keys = newKeys();
      await f.services.deviceLinks.claim(linkId, claimBody(linkId, generateLinkSecret(), keys));
      await expectCode(f.services.deviceLinks.decline(bob, linkId), "VOLLY_E_LINK_INVALID");
      await expectCode(
        f.services.deviceLinks.decline(alice, "AAAAAAAAAAAAAAAAAAAAAA"),
        "VOLLY_E_LINK_INVALID",
      );
      expect((await f.services.deviceLinks.status(linkId)).status).toBe("claimed");

      const { deviceId } = await f.services.deviceLinks.approve(
        alice,
        linkId,
        approveSignature(alice, linkId, keys.publicKeyB64),
      );
      await expectCode(f.services.deviceLinks.decline(alice, linkId), "VOLLY_E_LINK_INVALID");
      expect(await f.services.deviceLinks.status(linkId)).toMatchObject({ status: "approved", deviceId });

      // Another device of the same account did not open the link either.
      const laptop: TestDevice = { ...alice, deviceId, keys };
      const second = await f.services.deviceLinks.create(alice);
      await f.services.deviceLinks.claim(
        second.linkId,
        claimBody(second.linkId, generateLinkSecret(), newKeys()),
      );
      await expectCode(f.services.deviceLinks.decline(laptop, second.linkId), "VOLLY_E_LINK_INVALID");
      f.clock.advance(LIMITS.deviceLinkTtlMs);
      await expectCode(f.services.deviceLinks.decline(alice, second.linkId), "VOLLY_E_LINK_EXPIRED");
      expect((await f.services.deviceLinks.status(second.linkId)).status).toBe("expired");
    });

    it("revoking ends every membership with a departure, deletes sessions and key packages; other accounts cannot revoke", async () => {
      const keys = newKeys();
      const { linkId } = await f.services.deviceLinks.create(alice);
      await f.services.deviceLinks.claim(linkId, claimBody(linkId, generateLinkSecret(), keys));
      const { deviceId } = await f.services.deviceLinks.approve(
        alice,
        linkId,
        approveSignature(alice, linkId, keys.publicKeyB64),
      );
      const second: TestDevice = { ...alice, deviceId, keys };
      const g1 = await groupWith(f, alice, [bob, second]);
      const g2 = await groupWith(f, bob, [second]);

      await expectCode(f.services.deviceRevocation.revoke(bob, deviceId), "VOLLY_E_UNKNOWN_DEVICE");
      expect(await f.services.deviceRevocation.revoke(alice, deviceId)).toEqual({ deviceId, departures: 2 });
      for (const groupId of [g1, g2]) {
        const [departure] = (await f.services.delivery.backlog(bob.deviceId)).messages.filter(
          (m) => m.groupId === groupId && m.kind === "departure",
        );
        expect(departure?.senderDeviceId).toBe(deviceId);
        expect((await f.services.groups.getGroup(bob.deviceId, groupId)).memberDeviceIds).not.toContain(
          deviceId,
        );
      }
      expect(f.published.at(-1)).toEqual({
        channel: `device:${deviceId}`,
        message: { type: "device-revoked", deviceId },
      });
      await expectCode(f.services.auth.challenge(deviceId), "VOLLY_E_DEVICE_REVOKED");
      expect((await f.services.accounts.getAccount("alice")).devices.map((d) => d.deviceId)).toEqual([
        alice.deviceId,
      ]);
      await expectCode(
        f.services.keyPackages.claim(bob, { deviceIds: [deviceId], reason: { type: "first-contact" } }),
        "VOLLY_E_UNKNOWN_DEVICE",
      );
      expect(await f.services.deviceRevocation.revoke(alice, deviceId)).toEqual({ deviceId, departures: 0 });
    });
  });
});

describe("device links over a listening server", () => {
  const live = useLiveServer({ perTest: true });

  const call = async (method: string, path: string, body?: unknown, device?: HttpDevice) => {
    const res = await fetch(`${live.base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(device ? device.auth : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  /** Links a new device to `creator`'s account over HTTP; returns it logged in. */
  const link = async (creator: HttpDevice): Promise<HttpDevice> => {
    const creatorGateway = await live.identified(creator);
    const created = await call("POST", "/v1/device-links", undefined, creator);
    expect(created.status).toBe(200);
    const linkId = created.json.linkId as string;
    const code = formatLinkCode(live.base, linkId, generateLinkSecret());
    const parsed = parseLinkCode(code);
    const keys = newKeys();
    const claimed = await call(
      "POST",
      `/v1/device-links/${linkId}/claim`,
      claimBody(linkId, parsed.secret, keys, "phone"),
    );
    expect(claimed.json).toMatchObject({ linkId, status: "claimed" });
    const event = (await creatorGateway.nextDispatch("DEVICE_LINK_CLAIMED")).d as Record<string, string>;
    expect(event).toEqual({
      linkId,
      signaturePublicKey: keys.publicKeyB64,
      name: "phone",
      proof: linkProof(parsed.secret, linkId, keys.publicKeyB64),
    });
    expect(verifyLinkProof(parsed.secret, linkId, event.signaturePublicKey!, event.proof!)).toBe(true);
    expect((await call("GET", `/v1/device-links/${linkId}`)).json.status).toBe("claimed");
    const approved = await call(
      "POST",
      `/v1/device-links/${linkId}/approve`,
      { signature: approveSignature(creator, linkId, keys.publicKeyB64) },
      creator,
    );
    expect(approved.status).toBe(200);
    const status = (await call("GET", `/v1/device-links/${linkId}`)).json;
    expect(status).toMatchObject({
      status: "approved",
      deviceId: approved.json.deviceId,
      accountId: creator.accountId,
      handle: creator.handle,
    });
    const deviceId = status.deviceId as string;
    const { nonce } = (await call("POST", "/v1/auth/challenge", { deviceId })).json as { nonce: string };
    const session = await call("POST", "/v1/auth/session", {
      deviceId,
      nonce,
      signature: signB64(keys, signingInput.session(nonce)),
    });
    expect(session.status).toBe(200);
    const token = session.json.token as string;
    return { ...creator, deviceId, keys, token, auth: { authorization: `Bearer ${token}` } };
  };

  it("links a device end to end: create, claim, DEVICE_LINK_CLAIMED with a valid proof, approve, log in", async () => {
    const alice = await live.register("alice");
    const second = await link(alice);
    const directory = await call("GET", "/v1/accounts/alice");
    expect((directory.json.devices as { deviceId: string }[]).map((d) => d.deviceId)).toEqual([
      alice.deviceId,
      second.deviceId,
    ]);
    expect((await live.synced(second)).client).toBeDefined();
  });

  it("declining over HTTP: only the creator's token, the new device's poll says declined, approving is refused", async () => {
    const alice = await live.register("alice");
    const bob = await live.register("bob");
    const linkId = (await call("POST", "/v1/device-links", undefined, alice)).json.linkId as string;
    const keys = newKeys();
    const secret = generateLinkSecret();
    expect(
      (await call("POST", `/v1/device-links/${linkId}/claim`, claimBody(linkId, secret, keys))).status,
    ).toBe(200);

    const anonymous = await call("POST", `/v1/device-links/${linkId}/decline`);
    expect([anonymous.status, anonymous.json.code]).toEqual([401, "VOLLY_E_NOT_AUTHENTICATED"]);
    const byBob = await call("POST", `/v1/device-links/${linkId}/decline`, undefined, bob);
    expect([byBob.status, byBob.json.code]).toEqual([404, "VOLLY_E_LINK_INVALID"]);
    expect((await call("GET", `/v1/device-links/${linkId}`)).json.status).toBe("claimed");

    const declined = await call("POST", `/v1/device-links/${linkId}/decline`, undefined, alice);
    expect([declined.status, declined.json.status]).toEqual([200, "declined"]);
    expect((await call("GET", `/v1/device-links/${linkId}`)).json).toMatchObject({
      linkId,
      status: "declined",
    });
    const approve = await call(
      "POST",
      `/v1/device-links/${linkId}/approve`,
      { signature: approveSignature(alice, linkId, keys.publicKeyB64) },
      alice,
    );
    expect([approve.status, approve.json.code]).toEqual([403, "VOLLY_E_LINK_DECLINED"]);
    const reclaim = await call(
      "POST",
      `/v1/device-links/${linkId}/claim`,
      claimBody(linkId, secret, newKeys()),
    );
    expect([reclaim.status, reclaim.json.code]).toEqual([403, "VOLLY_E_LINK_DECLINED"]);
  });

  it("revoking a device: departures reach the other members, its connection closes with 4010, it is refused afterwards", async () => {
    const alice = await live.register("alice");
    const bob = await live.register("bob");
    const second = await link(alice);
    const groupId = await live.createGroup(alice, [bob, second]);
    const { client: bobGateway } = await live.synced(bob);
    const { client: secondGateway } = await live.synced(second);

    const cross = await call("DELETE", `/v1/devices/${second.deviceId}`, undefined, bob);
    expect(cross.json.code).toBe("VOLLY_E_UNKNOWN_DEVICE");

    const revoked = await call("DELETE", `/v1/devices/${second.deviceId}`, undefined, alice);
    expect(revoked.json).toEqual({ deviceId: second.deviceId, departures: 1 });
    const departure = (await bobGateway.nextDispatch("GROUP_MESSAGE")).d as Record<string, unknown>;
    expect(departure).toMatchObject({ groupId, kind: "departure", senderDeviceId: second.deviceId });
    const error = await secondGateway.next((x) => x.op === GatewayOp.ERROR);
    expect((error.d as { code: string }).code).toBe("VOLLY_E_DEVICE_REVOKED");
    expect((await secondGateway.closed).code).toBe(4010);

    const rest = await call("GET", `/v1/groups/${groupId}`, undefined, second);
    expect([rest.status, rest.json.code]).toEqual([401, "VOLLY_E_NOT_AUTHENTICATED"]);
    const challenge = await call("POST", "/v1/auth/challenge", { deviceId: second.deviceId });
    expect([challenge.status, challenge.json.code]).toEqual([401, "VOLLY_E_DEVICE_REVOKED"]);
    const again = await connectGateway(live.gatewayUrl);
    again.send(identifyFrame(again, second.deviceId, second.keys));
    expect(((await again.next((x) => x.op === GatewayOp.ERROR)).d as { code: string }).code).toBe(
      "VOLLY_E_DEVICE_REVOKED",
    );
    expect((await again.closed).code).toBe(4010);
  });
});
