import { matches, newId, ROUTES, VOLLY_VERSION } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { snapshotDatabase } from "./helpers/db-snapshot.js";
import { newKeys, registrationBody } from "./helpers/identity.js";
import { keyPackageFor } from "./helpers/keys-crypto.js";
import { commitBody, createGroupBody } from "./helpers/mls-groups.js";
import { fakeCiphertext } from "./helpers/services.js";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

describe("REST v1 over app.inject", () => {
  let f: AppFixture;
  let alice: HttpDevice;
  let bob: HttpDevice;
  let groupId: string;
  /** Well-formed bodies (a new group's, a commit for `groupId`), for the bad-input cases. */
  let valid: { createGroup: object; commit: object };

  beforeAll(async () => {
    f = await appFixture();
    alice = await registerOverHttp(f.app, "alice");
    bob = await registerOverHttp(f.app, "bob");
    groupId = newId();
    const created = await f.app.inject({
      method: "POST",
      url: "/v1/groups",
      headers: alice.auth,
      payload: await createGroupBody(groupId, alice),
    });
    expect(created.statusCode, created.body).toBe(200);
    valid = {
      createGroup: await createGroupBody(newId(), alice),
      commit: await commitBody(f.store, groupId, alice, [bob]),
    };
  });
  afterAll(() => f.close());

  const inject = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    f.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  function expectError(
    res: { statusCode: number; json: () => unknown; headers: Record<string, unknown> },
    status: number,
    code: string,
  ) {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers["content-type"])).toMatch(/^application\/json/);
    const body = res.json() as { code: string; message: string };
    expect(body.code).toBe(code);
    expect(typeof body.message).toBe("string");
  }

  it("serves GET /healthz with status and version", async () => {
    const res = await inject("GET", "/healthz");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", version: VOLLY_VERSION });
    expect(matches(ROUTES.health.response, res.json())).toBe(true);
  });

  it("walks every route on the happy path with responses matching the ROUTES schemas", async () => {
    const check = (
      route: keyof typeof ROUTES,
      res: { statusCode: number; json: () => unknown; body: string },
    ) => {
      expect(res.statusCode, `${route}: ${res.body}`).toBe(200);
      expect(matches(ROUTES[route].response, res.json()), `${route} response schema`).toBe(true);
    };
    check("getAccount", await inject("GET", "/v1/accounts/bob"));
    check("getDevice", await inject("GET", `/v1/devices/${bob.deviceId}`));
    const kp = await keyPackageFor(bob.keys, bob.accountId, bob.deviceId);
    const last = await keyPackageFor(bob.keys, bob.accountId, bob.deviceId);
    check(
      "uploadKeyPackages",
      await inject("POST", "/v1/key-packages", { keyPackages: [kp], lastResort: last }, bob.auth),
    );
    const count = await inject("GET", "/v1/key-packages/count", undefined, bob.auth);
    check("countKeyPackages", count);
    expect(count.json()).toEqual({ available: 1, hasLastResort: true });
    const claim = await inject(
      "POST",
      "/v1/key-packages/claim",
      { deviceIds: [bob.deviceId], reason: { type: "first-contact" } },
      alice.auth,
    );
    check("claimKeyPackages", claim);
    expect(claim.json()).toEqual({
      keyPackages: [{ deviceId: bob.deviceId, keyPackage: kp, lastResort: false }],
    });

    const g = newId();
    check("createGroup", await inject("POST", "/v1/groups", await createGroupBody(g, alice), alice.auth));
    const commit = await inject(
      "POST",
      `/v1/groups/${g}/commits`,
      await commitBody(f.store, g, alice, [bob]),
      alice.auth,
    );
    check("commit", commit);
    expect(commit.json()).toEqual({ seq: 1, epoch: 1 });
    const message = { messageId: newId(), epoch: 1, ciphertext: fakeCiphertext() };
    const sent = await inject("POST", `/v1/groups/${g}/messages`, message, bob.auth);
    check("sendMessage", sent);
    expect(sent.json()).toEqual({ seq: 2, duplicate: false });
    const group = await inject("GET", `/v1/groups/${g}`, undefined, bob.auth);
    check("getGroup", group);
    expect(group.json()).toEqual({
      groupId: g,
      epoch: 1,
      lastSeq: 2,
      memberDeviceIds: [alice.deviceId, bob.deviceId],
      adminAccountIds: [alice.accountId],
    });
    const granted = await inject("POST", `/v1/groups/${g}/admins`, { accountId: bob.accountId }, alice.auth);
    check("grantAdmin", granted);
    expect(granted.json().adminAccountIds).toEqual([alice.accountId, bob.accountId].sort());
    check("getGroupInfo", await inject("GET", `/v1/groups/${g}/group-info`, undefined, bob.auth));
  });

  it("maps service errors to their registry status (409 handle taken, 409 stale epoch, 400 future epoch, 404 unknown handle)", async () => {
    expectError(
      await inject("POST", "/v1/accounts", registrationBody("alice", newKeys())),
      409,
      "VOLLY_E_HANDLE_TAKEN",
    );
    expectError(await inject("GET", "/v1/accounts/nobody"), 404, "VOLLY_E_UNKNOWN_HANDLE");
    expectError(await inject("GET", `/v1/devices/${newId()}`), 404, "VOLLY_E_UNKNOWN_DEVICE");
    const g = newId();
    await inject("POST", "/v1/groups", await createGroupBody(g, alice), alice.auth);
    const [first, second] = [
      await commitBody(f.store, g, alice, [bob]),
      await commitBody(f.store, g, alice, [bob]),
    ];
    expect((await inject("POST", `/v1/groups/${g}/commits`, first, alice.auth)).statusCode).toBe(200);
    const stale = await inject("POST", `/v1/groups/${g}/commits`, second, alice.auth);
    expectError(stale, 409, "VOLLY_E_STALE_EPOCH");
    expect((stale.json() as { details: unknown }).details).toEqual({ currentEpoch: 1 });
    const future = await inject("POST", `/v1/groups/${g}/commits`, { ...second, epoch: 7 }, alice.auth);
    expectError(future, 400, "VOLLY_E_BAD_REQUEST");
    expect((future.json() as { details: unknown }).details).toMatchObject({ cause: "wrong-epoch", epoch: 1 });
    expectError(
      await inject("GET", `/v1/groups/${groupId}`, undefined, bob.auth),
      403,
      "VOLLY_E_NOT_GROUP_MEMBER",
    );
  });

  it("rejects an invalid handle at registration with VOLLY_E_HANDLE_INVALID", async () => {
    const res = await inject("POST", "/v1/accounts", registrationBody("Not A Handle", newKeys()));
    expectError(res, 400, "VOLLY_E_HANDLE_INVALID");
  });

  describe("bad input is rejected with a typed error and changes nothing", () => {
    const bodies: Record<string, () => unknown> = {
      registerAccount: () => registrationBody("newcomer", newKeys()),
      importAccount: () => ({
        move: {
          accountId: alice.accountId,
          deviceId: alice.deviceId,
          from: "alice@a.example",
          to: "alice@b.example",
          at: 0,
          signature: "s".repeat(86),
        },
        cursors: [],
      }),
      challenge: () => ({ deviceId: alice.deviceId }),
      session: () => ({ deviceId: alice.deviceId, nonce: newId(), signature: "s".repeat(86) }),
      uploadKeyPackages: () => ({ keyPackages: [] }),
      claimKeyPackages: () => ({ deviceIds: [bob.deviceId], reason: { type: "first-contact" } }),
      createGroup: () => valid.createGroup,
      updateSelfVoice: () => ({ selfMute: true }),
      moderateVoice: () => ({ serverMute: true }),
      commit: () => valid.commit,
      sendMessage: () => ({ messageId: newId(), epoch: 0, ciphertext: fakeCiphertext() }),
      sendEphemeral: () => ({ epoch: 0, ciphertext: fakeCiphertext() }),
      grantAdmin: () => ({ accountId: bob.accountId }),
      claimDeviceLink: () => ({
        signaturePublicKey: "k".repeat(43),
        name: "laptop",
        proof: "p".repeat(43),
        signature: "s".repeat(86),
      }),
      approveDeviceLink: () => ({ signature: "s".repeat(86) }),
      createCommunity: () => ({ name: "Guild" }),
      updateCommunity: () => ({ name: "Renamed" }),
      transferOwnership: () => ({ accountId: bob.accountId }),
      createChannel: () => ({ name: "chat" }),
      updateChannel: () => ({ topic: "t" }),
      setOverwrite: () => ({ type: "role", allow: "1024", deny: "0" }),
      createRole: () => ({ name: "mod" }),
      updateRole: () => ({ name: "moderator" }),
      kickMember: () => ({ reason: "r" }),
      timeoutMember: () => ({ durationMs: 60_000 }),
      banMember: () => ({ accountId: bob.accountId }),
      createCommunityInvite: () => ({ maxUses: 1 }),
      setPresenceStatus: () => ({ status: "dnd", text: "busy" }),
      updateProfile: () => ({ displayName: "Alice L." }),
      setRecoveryKey: () => ({ recoveryPublicKey: newKeys().publicKeyB64, signature: "s".repeat(86) }),
      putAccountBackup: () => ({ backup: "c2VhbGVk" }),
      recoveryChallenge: () => ({ handle: "alice" }),
      recoverAccount: () => ({
        handle: "alice",
        nonce: newId(),
        device: { signaturePublicKey: newKeys().publicKeyB64, name: "restored" },
        recoverySignature: "s".repeat(86),
        deviceSignature: "s".repeat(86),
      }),
      createScheduled: () => ({
        groupId,
        messageId: newId(),
        epoch: 0,
        ciphertext: fakeCiphertext(),
        releaseAt: Date.now() + 60_000,
      }),
      replaceScheduled: () => ({ epoch: 0, ciphertext: fakeCiphertext() }),
      createApiKey: () => ({ name: "bot", scopes: ["read"] }),
      rotateApiKey: () => ({ overlapMs: 1_000 }),
    };
    const pathOf = (path: string) =>
      path
        .replace(":handle", "alice")
        .replace(":deviceId", alice.deviceId)
        .replace(":groupId", groupId)
        .replace(":linkId", newId())
        .replace(/:(communityId|channelId|roleId|accountId|targetId|keyId)/g, () => newId())
        .replace(":code", newId());
    const routes = Object.entries(ROUTES) as [keyof typeof ROUTES, (typeof ROUTES)[keyof typeof ROUTES]][];
    const withBody = routes.filter(([, r]) => "body" in r);
    const withAuth = routes.filter(([, r]) => r.auth);
    const withParams = routes.filter(([, r]) => "params" in r);

    let before: Record<string, unknown[]>;
    beforeAll(() => {
      before = snapshotDatabase(f.file);
    });

    it.each(withBody.map(([name, r]) => [name, r] as const))(
      "%s: malformed JSON → 400 VOLLY_E_BAD_REQUEST",
      async (_name, r) => {
        const res = await f.app.inject({
          method: r.method,
          url: pathOf(r.path),
          headers: { "content-type": "application/json", ...alice.auth },
          payload: '{"groupId": "abc",',
        });
        expectError(res, 400, "VOLLY_E_BAD_REQUEST");
        expect(res.body).not.toContain("abc");
      },
    );

    it.each(withBody.map(([name, r]) => [name, r] as const))(
      "%s: an extra property → 400 VOLLY_E_BAD_REQUEST",
      async (name, r) => {
        const body = { ...(bodies[name]!() as object), extra: true };
        const res = await inject(r.method, pathOf(r.path), body, alice.auth);
        expectError(res, 400, "VOLLY_E_BAD_REQUEST");
      },
    );

    it.each(withBody.map(([name, r]) => [name, r] as const))(
      "%s: missing body / wrong types → 400 VOLLY_E_BAD_REQUEST",
      async (_name, r) => {
        expectError(
          await inject(r.method, pathOf(r.path), undefined, alice.auth),
          400,
          "VOLLY_E_BAD_REQUEST",
        );
        expectError(
          await inject(r.method, pathOf(r.path), [1, 2, 3], alice.auth),
          400,
          "VOLLY_E_BAD_REQUEST",
        );
        expectError(
          await inject(r.method, pathOf(r.path), { deviceId: 5, groupId: null }, alice.auth),
          400,
          "VOLLY_E_BAD_REQUEST",
        );
      },
    );

    it.each(withBody.map(([name, r]) => [name, r] as const))(
      "%s: a non-JSON content type → 400 VOLLY_E_BAD_REQUEST",
      async (_name, r) => {
        const res = await f.app.inject({
          method: r.method,
          url: pathOf(r.path),
          headers: { "content-type": "text/plain", ...alice.auth },
          payload: "hello",
        });
        expectError(res, 400, "VOLLY_E_BAD_REQUEST");
      },
    );

    it.each(withAuth.map(([name, r]) => [name, r] as const))(
      "%s: missing or bad bearer token → 401 VOLLY_E_NOT_AUTHENTICATED",
      async (name, r) => {
        const body = bodies[name]?.();
        expectError(await inject(r.method, pathOf(r.path), body), 401, "VOLLY_E_NOT_AUTHENTICATED");
        expectError(
          await inject(r.method, pathOf(r.path), body, { authorization: `Bearer ${"x".repeat(43)}` }),
          401,
          "VOLLY_E_NOT_AUTHENTICATED",
        );
        expectError(
          await inject(r.method, pathOf(r.path), body, { authorization: alice.token }),
          401,
          "VOLLY_E_NOT_AUTHENTICATED",
        );
      },
    );

    it.each(withParams.map(([name, r]) => [name, r] as const))(
      "%s: a malformed path parameter → 400 VOLLY_E_BAD_REQUEST",
      async (name, r) => {
        const url = r.path.replace(/:[a-zA-Z]+/, "NOT_valid!");
        expectError(await inject(r.method, url, bodies[name]?.(), alice.auth), 400, "VOLLY_E_BAD_REQUEST");
      },
    );

    it("a body over LIMITS.maxRequestBodyBytes → 413 VOLLY_E_PAYLOAD_TOO_LARGE", async () => {
      const huge = JSON.stringify({
        messageId: newId(),
        epoch: 0,
        ciphertext: "A".repeat(16 * 1024 * 1024 + 1),
      });
      const res = await f.app.inject({
        method: "POST",
        url: `/v1/groups/${groupId}/messages`,
        headers: { "content-type": "application/json", ...alice.auth },
        payload: huge,
      });
      expectError(res, 413, "VOLLY_E_PAYLOAD_TOO_LARGE");
    });

    it("a ciphertext over LIMITS.maxMessageChars → 400 VOLLY_E_BAD_REQUEST", async () => {
      const res = await inject(
        "POST",
        `/v1/groups/${groupId}/messages`,
        { messageId: newId(), epoch: 0, ciphertext: "A".repeat(350_001) },
        alice.auth,
      );
      expectError(res, 400, "VOLLY_E_BAD_REQUEST");
    });

    it("an unknown route or method → 404 VOLLY_E_NOT_FOUND", async () => {
      expectError(await inject("GET", "/v1/nope"), 404, "VOLLY_E_NOT_FOUND");
      expectError(await inject("POST", "/healthz", {}), 404, "VOLLY_E_NOT_FOUND");
      expectError(await f.app.inject({ method: "DELETE", url: "/v1/accounts" }), 404, "VOLLY_E_NOT_FOUND");
    });

    it("a plain HTTP GET of the gateway → 404 VOLLY_E_NOT_FOUND", async () => {
      expectError(await inject("GET", "/v1/gateway"), 404, "VOLLY_E_NOT_FOUND");
    });

    it("left the database exactly as it was", () => {
      expect(snapshotDatabase(f.file)).toEqual(before);
    });
  });

  it("answers an invite link /i/:token with the web app's page (here: not built) without echoing the token", async () => {
    const token = `${"e".repeat(300)}.${"s".repeat(86)}`;
    const res = await inject("GET", `/i/${token}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("The web app is not built");
    expect(res.body).not.toContain(token);
  });

  it("logs method, route pattern, status and time per request — never handles, ids, tokens or ciphertext", async () => {
    const ciphertext = fakeCiphertext(64);
    const g = newId();
    const created = await createGroupBody(g, alice);
    await inject("POST", "/v1/groups", created, alice.auth);
    await inject(
      "POST",
      `/v1/groups/${g}/messages?trace=${g}`,
      { messageId: newId(), epoch: 0, ciphertext },
      alice.auth,
    );
    await inject("GET", "/i/secret-invite-token");
    await inject("GET", `/v1/accounts/${alice.handle}`);
    await inject("GET", `/v1/devices/${alice.deviceId}`);
    await inject("GET", "/v1/accounts/looked-up-handle/nowhere");
    const logs = f.logs();
    expect(logs).toContain('"url":"/v1/groups/:groupId/messages"');
    expect(logs).toContain('"url":"/v1/accounts/:handle"');
    expect(logs).toContain('"url":"/v1/devices/:deviceId"');
    expect(logs).toContain('"url":"/i/:token"');
    expect(logs).toContain('"url":"(no route)"');
    expect(logs).toMatch(/"method":"POST".*"status":200.*"ms":/);
    expect(logs).not.toContain(g);
    expect(logs).not.toContain(alice.handle);
    expect(logs).not.toContain(alice.deviceId);
    expect(logs).not.toContain("looked-up-handle");
    expect(logs).not.toContain(ciphertext);
    expect(logs).not.toContain(created.groupInfo);
    expect(logs).not.toContain(alice.token);
    expect(logs).not.toContain("secret-invite-token");
  });
});
