import { type EntityType, GatewayOp, newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RateLimitConfig } from "../src/config.js";
import { type AppFixture, appFixture, type HttpDevice, sessionOverHttp } from "./helpers/app.js";
import { connectIdentified, type GatewayClient } from "./helpers/gateway-client.js";
import { newKeys, registrationBody, uniqueHandle } from "./helpers/identity.js";
import { newGroupBodies, rememberDevice } from "./helpers/mls-groups.js";
import { fakeCiphertext } from "./helpers/services.js";

/**
 * Budgets per entity type in one process (the embedded shape): the request budget and the SEND byte
 * budget of each type apply to that type's accounts only, on REST and on gateway SENDs.
 */
describe("rate limits per entity type (embedded shape)", () => {
  const limits = {
    windowMs: 60_000,
    ipMax: 1_000_000,
    accountMax: 1_000,
    entityTypes: { bot: { max: 3 }, device: { bytes: 1_000 } },
  } satisfies RateLimitConfig;
  let f: AppFixture;
  let gatewayUrl: string;
  const clients: GatewayClient[] = [];

  beforeAll(async () => {
    f = await appFixture({ rateLimit: limits });
    const base = await f.app.listen({ port: 0, host: "127.0.0.1" });
    gatewayUrl = `${base.replace("http", "ws")}/v1/gateway`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await f.close();
  });

  /** Registers an account of `entityType` over REST with a bearer session. */
  const register = async (entityType: EntityType): Promise<HttpDevice> => {
    const keys = newKeys();
    const handle = uniqueHandle(entityType);
    const reg = await f.app.inject({
      method: "POST",
      url: "/v1/accounts",
      payload: { ...registrationBody(handle, keys), entityType },
    });
    expect(reg.statusCode).toBe(200);
    const { accountId, deviceId } = reg.json() as { accountId: string; deviceId: string };
    const token = await sessionOverHttp(f.app, deviceId, keys);
    rememberDevice({ accountId, deviceId, keys });
    return { accountId, deviceId, handle, keys, token, auth: { authorization: `Bearer ${token}` } };
  };

  /** A group owned by a service account with `member` in it; `member`'s gateway connection. */
  const memberOfGroup = async (member: HttpDevice) => {
    const owner = await register("service");
    const groupId = newId();
    const bodies = await newGroupBodies(groupId, owner, [member]);
    for (const [url, payload] of [
      ["/v1/groups", bodies.create],
      [`/v1/groups/${groupId}/commits`, bodies.commit],
    ] as const) {
      const res = await f.app.inject({ method: "POST", url, headers: owner.auth, payload });
      expect(res.statusCode).toBe(200);
    }
    const { client } = await connectIdentified(gatewayUrl, member);
    clients.push(client);
    return { groupId, client };
  };

  const send = async (client: GatewayClient, groupId: string, bytes: number) => {
    const messageId = newId();
    client.send({
      op: GatewayOp.SEND,
      d: { groupId, messageId, epoch: 1, ciphertext: fakeCiphertext(bytes) },
    });
    return client.next(
      (x) =>
        (x.op === GatewayOp.SEND_ACK || x.op === GatewayOp.ERROR) && JSON.stringify(x.d).includes(messageId),
    ) as Promise<{ op: number; d: { code?: string; details?: Record<string, unknown> } }>;
  };

  const countKeyPackages = (member: HttpDevice) =>
    f.app.inject({ method: "GET", url: "/v1/key-packages/count", headers: member.auth });

  it("a type's own request budget (bot: 3) applies to its accounts; the others get VOLLY_RATE_LIMIT_ACCOUNT_MAX", async () => {
    const bot = await register("bot");
    const human = await register("human");
    for (let i = 0; i < 3; i++) expect((await countKeyPackages(bot)).statusCode).toBe(200);
    const refused = await countKeyPackages(bot);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: "VOLLY_E_RATE_LIMITED", details: { entityType: "bot" } });
    for (let i = 0; i < 5; i++) {
      const res = await countKeyPackages(human);
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-ratelimit-limit"]).toBe("1000");
    }
  });

  it("a type's own byte budget (device: 1,000 bytes) refuses its SENDs with limit bytes; a human's same SENDs pass", async () => {
    const device = await register("device");
    const human = await register("human");
    const d = await memberOfGroup(device);
    const h = await memberOfGroup(human);
    const deviceAnswers = [];
    const humanAnswers = [];
    for (let i = 0; i < 4; i++) {
      deviceAnswers.push(await send(d.client, d.groupId, 300));
      humanAnswers.push(await send(h.client, h.groupId, 300));
    }
    expect(humanAnswers.map((a) => a.op)).toEqual(Array(4).fill(GatewayOp.SEND_ACK));
    // 300 bytes of ciphertext are ~400 in base64url inside a ~550-byte frame: the second one is over.
    expect(deviceAnswers[0]?.op).toBe(GatewayOp.SEND_ACK);
    const refused = deviceAnswers.slice(1);
    for (const answer of refused) {
      expect(answer.op).toBe(GatewayOp.ERROR);
      expect(answer.d).toMatchObject({
        code: "VOLLY_E_RATE_LIMITED",
        details: { limit: "bytes", entityType: "device", retryAfterMs: expect.any(Number) },
      });
    }
  });
});
