import { newId, signingInput } from "@volly/protocol";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { sleep } from "../../../test/helpers/wait-for.js";
import { DEFAULT_CONFIG, type RateLimitConfig } from "../src/config.js";
import { type RunningServer, startServer } from "../src/start-server.js";
import { type AppFixture, appFixture } from "./helpers/app.js";
import { snapshotDatabase } from "./helpers/db-snapshot.js";
import { newKeys, registrationBody, signB64, type TestKeys, uniqueHandle } from "./helpers/identity.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./helpers/postgres.js";
import { type PrivateRedis, REDIS_SERVER, startPrivateRedis } from "./helpers/redis-server.js";

const WINDOW_MS = 60_000;

/** A device registered and logged in, and the address it did that from. */
interface Device {
  accountId: string;
  deviceId: string;
  keys: TestKeys;
  auth: { authorization: string };
}

/** Registration, challenge and session over `inject`, from `ip` (3 unauthenticated requests). */
async function registerFrom(app: FastifyInstance, ip: string): Promise<Device> {
  const keys = newKeys();
  const reg = await app.inject({
    method: "POST",
    url: "/v1/accounts",
    remoteAddress: ip,
    payload: registrationBody(uniqueHandle(), keys),
  });
  expect(reg.statusCode, reg.body).toBe(200);
  const { accountId, deviceId } = reg.json() as { accountId: string; deviceId: string };
  const challenge = await app.inject({
    method: "POST",
    url: "/v1/auth/challenge",
    remoteAddress: ip,
    payload: { deviceId },
  });
  const { nonce } = challenge.json() as { nonce: string };
  const session = await app.inject({
    method: "POST",
    url: "/v1/auth/session",
    remoteAddress: ip,
    payload: { deviceId, nonce, signature: signB64(keys, signingInput.session(nonce)) },
  });
  expect(session.statusCode, session.body).toBe(200);
  const { token } = session.json() as { token: string };
  return { accountId, deviceId, keys, auth: { authorization: `Bearer ${token}` } };
}

/** Asserts the typed 429: VOLLY_E_RATE_LIMITED with retryAfterMs within the window, and Retry-After in s. */
function expectLimited(res: LightMyRequestResponse | { status: number; headers: Headers; body: unknown }) {
  const status = "statusCode" in res ? res.statusCode : res.status;
  const body = ("statusCode" in res ? res.json() : res.body) as {
    code: string;
    message: string;
    details: { retryAfterMs: number };
  };
  const header = (name: string) =>
    "statusCode" in res ? String(res.headers[name]) : (res.headers.get(name) ?? "undefined");
  expect(status).toBe(429);
  expect(body).toEqual({
    code: "VOLLY_E_RATE_LIMITED",
    message: "Too many requests; slow down.",
    // Counted by account: also the entity type whose budget ran out.
    details: expect.objectContaining({ retryAfterMs: expect.any(Number) }),
  });
  const { retryAfterMs } = body.details;
  expect(retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterMs).toBeLessThanOrEqual(WINDOW_MS);
  expect(Number(header("retry-after"))).toBe(Math.ceil(retryAfterMs / 1000));
  expect(header("x-ratelimit-remaining")).toBe("0");
}

describe("REST rate limits, counted in process (embedded shape)", () => {
  const limits = { windowMs: WINDOW_MS, accountMax: 5, ipMax: 6 } satisfies RateLimitConfig;
  let f: AppFixture;
  beforeAll(async () => {
    f = await appFixture({ rateLimit: limits });
  });
  afterAll(() => f.close());

  const countKeyPackages = (device: Device, ip: string) =>
    f.app.inject({ method: "GET", url: "/v1/key-packages/count", headers: device.auth, remoteAddress: ip });

  it("limits unauthenticated routes per IP address with a typed 429; nothing is stored; other addresses are unaffected", async () => {
    const ip = "10.1.0.1";
    const lookup = () => f.app.inject({ method: "GET", url: "/v1/accounts/nobody1", remoteAddress: ip });
    // Registration, challenge and session count too, as do requests that fail (404).
    await registerFrom(f.app, ip);
    for (let i = 0; i < limits.ipMax - 3; i++) {
      const res = await lookup();
      expect(res.statusCode).toBe(404);
      expect(res.headers["x-ratelimit-limit"]).toBe(String(limits.ipMax));
      expect(res.headers["x-ratelimit-remaining"]).toBe(String(limits.ipMax - 4 - i));
    }
    const before = snapshotDatabase(f.file);
    expectLimited(await lookup());
    const refused = await f.app.inject({
      method: "POST",
      url: "/v1/accounts",
      remoteAddress: ip,
      payload: registrationBody(uniqueHandle(), newKeys()),
    });
    expectLimited(refused);
    expect(snapshotDatabase(f.file)).toEqual(before);

    // Another address, an IPv6 client and the routes that are never limited still work.
    await registerFrom(f.app, "10.1.0.2");
    await registerFrom(f.app, "2001:db8::1");
    for (const url of ["/healthz", "/readyz", "/", "/i/some-invite"]) {
      for (let i = 0; i < limits.ipMax + 2; i++) {
        const res = await f.app.inject({ method: "GET", url, remoteAddress: ip });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers["x-ratelimit-limit"], url).toBeUndefined();
      }
    }
  });

  it("keys an IPv6 client by its /64", async () => {
    await registerFrom(f.app, "2001:db8:0:7::1");
    await registerFrom(f.app, "2001:db8:0:7::2");
    expectLimited(
      await f.app.inject({
        method: "POST",
        url: "/v1/auth/challenge",
        remoteAddress: "2001:db8:0:7::3",
        payload: { deviceId: newId() },
      }),
    );
  });

  it("limits authenticated routes per account (all its devices), not per address: a limited account does not slow another down", async () => {
    const ip = "10.2.0.1";
    const alice = await registerFrom(f.app, "10.2.0.2");
    const bob = await registerFrom(f.app, "10.2.0.3");
    // A second device of alice's account shares its budget.
    const phoneKeys = newKeys();
    const phoneId = newId();
    await f.store.devices.insert({
      id: phoneId,
      accountId: alice.accountId,
      signaturePublicKey: phoneKeys.publicKeyB64,
      name: "phone",
      createdAt: Date.now(),
    });
    const nonce = (
      (
        await f.app.inject({
          method: "POST",
          url: "/v1/auth/challenge",
          remoteAddress: "10.2.0.4",
          payload: { deviceId: phoneId },
        })
      ).json() as {
        nonce: string;
      }
    ).nonce;
    const token = (
      (
        await f.app.inject({
          method: "POST",
          url: "/v1/auth/session",
          remoteAddress: "10.2.0.4",
          payload: { deviceId: phoneId, nonce, signature: signB64(phoneKeys, signingInput.session(nonce)) },
        })
      ).json() as { token: string }
    ).token;
    const phone: Device = {
      ...alice,
      deviceId: phoneId,
      keys: phoneKeys,
      auth: { authorization: `Bearer ${token}` },
    };

    // Far more requests from one address than ipMax: authenticated ones are not counted by address.
    for (let i = 0; i < limits.accountMax; i++) {
      const res = await countKeyPackages(i % 2 ? alice : phone, ip);
      expect(res.statusCode, res.body).toBe(200);
    }
    expectLimited(await countKeyPackages(alice, ip));
    expectLimited(await countKeyPackages(phone, "10.2.0.9"));
    // Bob, from the same address, and unauthenticated requests from it are unaffected.
    for (let i = 0; i < limits.accountMax; i++)
      expect((await countKeyPackages(bob, ip)).statusCode).toBe(200);
    expect(
      (await f.app.inject({ method: "GET", url: "/v1/accounts/nobody1", remoteAddress: ip })).statusCode,
    ).toBe(404);
  });

  it("counts requests whose token does not authenticate by address (401 until the limit, then 429)", async () => {
    const ip = "10.3.0.1";
    const bogus = { authorization: `Bearer ${"A".repeat(43)}` };
    for (let i = 0; i < limits.ipMax; i++) {
      const res = await f.app.inject({
        method: "GET",
        url: "/v1/key-packages/count",
        headers: bogus,
        remoteAddress: ip,
      });
      expect(res.statusCode).toBe(401);
    }
    expectLimited(
      await f.app.inject({ method: "GET", url: "/v1/key-packages/count", headers: bogus, remoteAddress: ip }),
    );
    expectLimited(await f.app.inject({ method: "GET", url: "/v1/key-packages/count", remoteAddress: ip }));
  });
});

describe("REST rate limit configuration", () => {
  it("starts a new window once the old one has passed", async () => {
    const f = await appFixture({ rateLimit: { windowMs: 300, accountMax: 1, ipMax: 1 } });
    try {
      const challenge = () =>
        f.app.inject({
          method: "POST",
          url: "/v1/auth/challenge",
          remoteAddress: "10.4.0.1",
          payload: { deviceId: newId() },
        });
      expect((await challenge()).statusCode).toBe(404);
      const limited = await challenge();
      expect(limited.statusCode).toBe(429);
      expect(
        (limited.json() as { details: { retryAfterMs: number } }).details.retryAfterMs,
      ).toBeLessThanOrEqual(300);
      await sleep(350);
      expect((await challenge()).statusCode).toBe(404);
    } finally {
      await f.close();
    }
  });

  it("limits nothing with rateLimit false (VOLLY_RATE_LIMIT=off)", async () => {
    const f = await appFixture({ rateLimit: false });
    try {
      for (let i = 0; i < 50; i++) {
        const res = await f.app.inject({
          method: "GET",
          url: "/v1/accounts/nobody1",
          remoteAddress: "10.5.0.1",
        });
        expect(res.statusCode).toBe(404);
        expect(res.headers["x-ratelimit-limit"]).toBeUndefined();
      }
    } finally {
      await f.close();
    }
  });

  it("takes the client's address from X-Forwarded-For only when the peer is a trusted proxy", async () => {
    const f = await appFixture({
      rateLimit: { windowMs: WINDOW_MS, accountMax: 1, ipMax: 1 },
      trustProxy: ["127.0.0.1"],
    });
    try {
      const via = (forwardedFor: string, remoteAddress = "127.0.0.1") =>
        f.app.inject({
          method: "GET",
          url: "/v1/accounts/nobody1",
          remoteAddress,
          headers: { "x-forwarded-for": forwardedFor },
        });
      expect((await via("198.51.100.1")).statusCode).toBe(404);
      expect((await via("198.51.100.2")).statusCode).toBe(404); // another client behind the proxy
      expect((await via("198.51.100.1")).statusCode).toBe(429);
      // Not from the proxy: the header is ignored and the peer is counted.
      expect((await via("198.51.100.3", "203.0.113.9")).statusCode).toBe(404);
      expect((await via("198.51.100.4", "203.0.113.9")).statusCode).toBe(429);
    } finally {
      await f.close();
    }
  });
});

describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "REST rate limits shared by two nodes through Redis (scaled shape)",
  () => {
    const limits = { windowMs: WINDOW_MS, accountMax: 6, ipMax: 6 } satisfies RateLimitConfig;
    let database: TestDatabase;
    let redis: PrivateRedis;
    const nodes: RunningServer[] = [];
    const temp = removableTempDir();

    beforeAll(async () => {
      POSTGRES.assert();
      REDIS_SERVER.assert();
      database = await createTestDatabase();
      redis = await startPrivateRedis();
      const config = {
        ...DEFAULT_CONFIG,
        port: 0,
        dataDir: temp.dir,
        databaseUrl: database.url,
        redisUrl: redis.url,
        logLevel: "silent" as const,
        rateLimit: limits,
      };
      nodes.push(await startServer(config), await startServer(config));
    });
    afterAll(async () => {
      for (const node of nodes) await node.close().catch(() => {});
      await redis?.stop();
      await database?.drop();
      temp.remove();
    });

    const call = async (
      node: RunningServer,
      method: string,
      path: string,
      body?: unknown,
      token?: string,
    ) => {
      const res = await fetch(`${node.url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, headers: res.headers, body: await res.json() };
    };
    /** Registers and logs in through `node`: 3 requests by address. */
    const register = async (node: RunningServer) => {
      const keys = newKeys();
      const reg = await call(node, "POST", "/v1/accounts", registrationBody(uniqueHandle(), keys));
      expect(reg.status).toBe(200);
      const { deviceId } = reg.body as { deviceId: string };
      const { nonce } = (await call(node, "POST", "/v1/auth/challenge", { deviceId })).body as {
        nonce: string;
      };
      const session = await call(node, "POST", "/v1/auth/session", {
        deviceId,
        nonce,
        signature: signB64(keys, signingInput.session(nonce)),
      });
      expect(session.status).toBe(200);
      return (session.body as { token: string }).token;
    };

    it("counts a client's requests to either node together, per address and per account", async () => {
      const [one, two] = nodes as [RunningServer, RunningServer];
      // Every request here comes from 127.0.0.1: 3 on node one, 3 on node two = ipMax.
      const alice = await register(one);
      const bob = await register(two);
      expectLimited(await call(one, "GET", "/v1/accounts/nobody1"));
      expectLimited(await call(two, "GET", "/v1/accounts/nobody1"));

      // Per account: half of the budget on each node, then both refuse; bob is unaffected.
      for (let i = 0; i < limits.accountMax; i++) {
        const res = await call(i % 2 ? one : two, "GET", "/v1/key-packages/count", undefined, alice);
        expect(res.status).toBe(200);
      }
      expectLimited(await call(one, "GET", "/v1/key-packages/count", undefined, alice));
      expectLimited(await call(two, "GET", "/v1/key-packages/count", undefined, alice));
      expect((await call(two, "GET", "/v1/key-packages/count", undefined, bob)).status).toBe(200);
      expect((await call(one, "GET", "/v1/key-packages/count", undefined, bob)).status).toBe(200);
    });

    it("lets requests through while Redis is down, and limits again once it is back", async () => {
      const [one, two] = nodes as [RunningServer, RunningServer];
      await redis.stop();
      await sleep(100);
      for (let i = 0; i < limits.ipMax + 2; i++) {
        expect((await call(i % 2 ? one : two, "GET", "/v1/accounts/nobody1")).status).toBe(404);
      }
      await redis.start(); // empty: every count starts again
      // Both nodes reconnect within their backoff (≤ 1 s); then the shared count applies again.
      let limited = false;
      for (let i = 0; i < 100 && !limited; i++) {
        limited = (await call(i % 2 ? one : two, "GET", "/v1/accounts/nobody1")).status === 429;
        if (!limited) await sleep(50);
      }
      expect(limited).toBe(true);
    });
  },
);
