import { GatewayOp, newId, permissionsOf, serializePermissions } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { type ClusterNode, startNode } from "./helpers/cluster.js";
import { connectIdentified, type GatewayClient } from "./helpers/gateway-client.js";
import { commitBody, createGroupBody, encryptAs, externalJoinBody } from "./helpers/mls-groups.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./helpers/postgres.js";
import { type PrivateRedis, REDIS_SERVER, startPrivateRedis } from "./helpers/redis-server.js";

/**
 * Communities on the scaled shape: two nodes over one PostgreSQL and one Redis, the owner on one node
 * and an administrator on the other. Concurrent edits from both converge; a member's loss of access
 * decided on one node cuts off its device connected to the other.
 */
describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)("communities on two nodes (PostgreSQL + Redis)", () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let one: ClusterNode;
  let two: ClusterNode;
  const clients: GatewayClient[] = [];

  beforeAll(async () => {
    POSTGRES.assert();
    REDIS_SERVER.assert();
    database = await createTestDatabase();
    redis = await startPrivateRedis();
    const options = { databaseUrl: database.url, redisUrl: redis.url };
    [one, two] = await Promise.all([startNode(options), startNode(options)]);
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const n of [one, two]) await n?.close().catch(() => {});
    await redis?.stop();
    await database?.drop();
  });

  /** A REST call through `node` as `device`; fails the test on a non-200 answer. */
  async function call<T>(
    node: ClusterNode,
    device: HttpDevice,
    method: string,
    url: string,
    payload?: object,
  ) {
    const res = await node.app.inject({
      method: method as "GET",
      url,
      headers: device.auth,
      ...(payload ? { payload } : {}),
    });
    expect(
      res.statusCode,
      `${method} ${url}: ${res.body} ${res.statusCode === 500 ? node.logs().slice(-3000) : ""}`,
    ).toBe(200);
    return res.json() as T;
  }

  it("roles and channels created and moved by two admins on two nodes at once, while members join on both, converge", async () => {
    const owner = await registerOverHttp(one.app);
    const admin = await registerOverHttp(two.app);
    const { communityId } = await call<{ communityId: string }>(one, owner, "POST", "/v1/communities", {
      name: "Clustered",
    });
    const { code } = await call<{ code: string }>(
      one,
      owner,
      "POST",
      `/v1/communities/${communityId}/invites`,
      {},
    );
    await call(two, admin, "POST", `/v1/community-invites/${code}/join`);
    const { roleId } = await call<{ roleId: string }>(
      one,
      owner,
      "POST",
      `/v1/communities/${communityId}/roles`,
      {
        name: "admin",
        permissions: serializePermissions(permissionsOf(["ADMINISTRATOR"])),
      },
    );
    await call(
      one,
      owner,
      "PUT",
      `/v1/communities/${communityId}/members/${admin.accountId}/roles/${roleId}`,
    );
    const joiners = await Promise.all(
      Array.from({ length: 6 }, (_, i) => registerOverHttp((i % 2 === 0 ? one : two).app)),
    );

    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? call(one, owner, "POST", `/v1/communities/${communityId}/roles`, { name: `o${i}` })
          : call(two, admin, "POST", `/v1/communities/${communityId}/roles`, { name: `a${i}` }),
      ),
      ...Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0
          ? call(one, owner, "POST", `/v1/communities/${communityId}/channels`, { name: `c${i}` })
          : call(two, admin, "POST", `/v1/communities/${communityId}/channels`, { name: `c${i}` }),
      ),
      ...joiners.map((j, i) =>
        call(i % 2 === 0 ? one : two, j, "POST", `/v1/community-invites/${code}/join`),
      ),
    ]);

    // then both admins move channels at once: to the top, and into a category
    const { channelId: category } = await call<{ channelId: string }>(
      two,
      admin,
      "POST",
      `/v1/communities/${communityId}/channels`,
      { name: "Text", type: "category" },
    );
    const listed = await call<{ channels: { channelId: string; name: string }[] }>(
      one,
      owner,
      "GET",
      `/v1/communities/${communityId}`,
    );
    const movable = listed.channels.filter((c) => /^c\d$/.test(c.name));
    await Promise.all(
      movable.map((c, i) =>
        i % 2 === 0
          ? call(one, owner, "PATCH", `/v1/channels/${c.channelId}`, { position: 0 })
          : call(two, admin, "PATCH", `/v1/channels/${c.channelId}`, { parentId: category, position: 0 }),
      ),
    );

    const seenFromOne = await call<{
      roles: { name: string; position: number }[];
      channels: { name: string; position: number }[];
      members: unknown[];
    }>(one, owner, "GET", `/v1/communities/${communityId}`);
    const seenFromTwo = await call<typeof seenFromOne>(two, admin, "GET", `/v1/communities/${communityId}`);
    expect(seenFromTwo).toEqual(seenFromOne);
    expect(seenFromOne.roles.map((r) => r.position)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(seenFromOne.members).toHaveLength(8);
    // siblings are numbered 0…n-1 whatever order the moves landed in
    const byParent = new Map<string, number[]>();
    for (const c of seenFromOne.channels as { parentId?: string; position: number }[]) {
      byParent.set(c.parentId ?? "", [...(byParent.get(c.parentId ?? "") ?? []), c.position]);
    }
    for (const positions of byParent.values()) {
      expect([...positions].sort((a, b) => a - b)).toEqual(positions.map((_, i) => i));
    }
    expect(byParent.get(category)).toHaveLength(3);
    const log = await call<{ entries: { action: string }[] }>(
      two,
      admin,
      "GET",
      `/v1/communities/${communityId}/audit-log`,
    );
    expect(log.entries.filter((e) => e.action === "role.create")).toHaveLength(9);
  });

  it("an overwrite set on one node departs the member's device connected to the other, which gets nothing more", async () => {
    const owner = await registerOverHttp(one.app);
    const member = await registerOverHttp(two.app);
    const witness = await registerOverHttp(two.app);
    const { communityId, channels } = await call<{ communityId: string; channels: { channelId: string }[] }>(
      one,
      owner,
      "POST",
      "/v1/communities",
      { name: "Cut off" },
    );
    const channelId = channels[0]?.channelId as string;
    const { code } = await call<{ code: string }>(
      one,
      owner,
      "POST",
      `/v1/communities/${communityId}/invites`,
      {},
    );
    await call(two, member, "POST", `/v1/community-invites/${code}/join`);
    await call(two, witness, "POST", `/v1/community-invites/${code}/join`);
    const groupId = newId();
    await call(one, owner, "POST", "/v1/groups", { ...(await createGroupBody(groupId, owner)), channelId });
    const { client } = await connectIdentified(two.gatewayUrl, member);
    const { client: watching } = await connectIdentified(two.gatewayUrl, witness);
    clients.push(client, watching);
    await client.untilSynced();
    await watching.untilSynced();
    await call(
      two,
      witness,
      "POST",
      `/v1/groups/${groupId}/commits`,
      await externalJoinBody(one.store, groupId, witness),
    );
    // the member joins by external commit through node two, with the owner's device offline
    await call(
      two,
      member,
      "POST",
      `/v1/groups/${groupId}/commits`,
      await externalJoinBody(one.store, groupId, member),
    );
    const first = await encryptAs(one.store, groupId, owner, "before");
    await call(one, owner, "POST", `/v1/groups/${groupId}/messages`, { messageId: newId(), ...first });
    await client.next(
      (f) => f.t === "GROUP_MESSAGE" && (f.d as { payload: string }).payload === first.ciphertext,
    );

    // what a message declares it carries is checked over the gateway too (@everyone may not mention everyone)
    const loud = await encryptAs(one.store, groupId, witness, "@everyone");
    const loudId = newId();
    watching.send({
      op: GatewayOp.SEND,
      d: { groupId, messageId: loudId, ...loud, declares: ["mention-everyone"] },
    });
    const refused = await watching.next(
      (f) =>
        f.op === GatewayOp.ERROR &&
        (f.d as { details?: { messageId?: string } }).details?.messageId === loudId,
    );
    expect(refused.d).toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
      details: { permission: "MENTION_EVERYONE" },
    });

    await call(one, owner, "PUT", `/v1/channels/${channelId}/overwrites/${member.accountId}`, {
      type: "member",
      allow: "0",
      deny: serializePermissions(permissionsOf(["VIEW_CHANNEL"])),
    });
    await client.nextDispatch("COMMUNITY_UPDATE");
    // its membership ended at a departure entry in its name, which asks the others to commit its Remove
    const membership = await two.store.groups.findMembership(groupId, member.deviceId);
    expect(membership?.leftSeq).not.toBeNull();
    const entries = await one.store.log.readAfter(groupId, 0, { limit: 100 });
    expect(entries.find((e) => e.seq === membership?.leftSeq)).toMatchObject({
      kind: "departure",
      senderDeviceId: member.deviceId,
    });
    // the owner commits the Remove the departure asks for, and talks on
    await call(
      one,
      owner,
      "POST",
      `/v1/groups/${groupId}/commits`,
      await commitBody(one.store, groupId, owner, [], [member]),
    );
    const after = await encryptAs(one.store, groupId, owner, "after");
    await call(one, owner, "POST", `/v1/groups/${groupId}/messages`, { messageId: newId(), ...after });
    // the witness, on the same node, gets it; the member got nothing after its departure
    const payloadIs = (ciphertext: string) => (f: { t?: string; d: unknown }) =>
      f.t === "GROUP_MESSAGE" && (f.d as { payload: string }).payload === ciphertext;
    await watching.next(payloadIs(after.ciphertext));
    expect(client.received.some(payloadIs(after.ciphertext))).toBe(false);
  });
});
