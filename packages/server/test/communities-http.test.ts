import { COMMUNITY_ROUTES, matches, newId, permissionsOf, serializePermissions } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { createGroupBody } from "./helpers/mls-groups.js";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** Every community route over HTTP (app.inject, SQLite): status 200 and the answer matches its schema. */
describe("communities over REST v1", () => {
  let f: AppFixture;
  let owner: HttpDevice;
  let bob: HttpDevice;
  beforeAll(async () => {
    f = await appFixture();
    owner = await registerOverHttp(f.app, "owner");
    bob = await registerOverHttp(f.app, "bob");
  });
  afterAll(() => f.close());

  const walked = new Set<string>();
  /** Calls `route` and checks the answer against the route's response schema. */
  async function call<T>(
    route: keyof typeof COMMUNITY_ROUTES,
    device: HttpDevice,
    params: Record<string, string>,
    payload?: object,
  ): Promise<T> {
    const spec = COMMUNITY_ROUTES[route];
    const url = spec.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => params[name] ?? `missing-${name}`);
    const res = await f.app.inject({
      method: spec.method as Method,
      url,
      headers: device.auth,
      ...(payload ? { payload } : {}),
    });
    expect(res.statusCode, `${route}: ${res.body}`).toBe(200);
    expect(matches(spec.response, res.json()), `${route} response schema: ${res.body}`).toBe(true);
    walked.add(route);
    return res.json() as T;
  }

  it("walks every route on the happy path", async () => {
    const created = await call<{ communityId: string; channels: { channelId: string }[] }>(
      "createCommunity",
      owner,
      {},
      { name: "Guild" },
    );
    const communityId = created.communityId;
    const general = created.channels[0]?.channelId as string;
    await call("listCommunities", owner, {});
    await call("updateCommunity", owner, { communityId }, { description: "a place" });
    const invite = await call<{ code: string }>(
      "createCommunityInvite",
      owner,
      { communityId },
      { maxUses: 5 },
    );
    await call("previewCommunityInvite", bob, { code: invite.code });
    await call("listCommunityInvites", owner, { communityId });
    await call("joinCommunity", bob, { code: invite.code });
    await call("getCommunity", bob, { communityId });
    const category = await call<{ channelId: string }>(
      "createChannel",
      owner,
      { communityId },
      { name: "Text", type: "category" },
    );
    const news = await call<{ channelId: string }>(
      "createChannel",
      owner,
      { communityId },
      { name: "news", type: "announcement", parentId: category.channelId, topic: "read only" },
    );
    await call("updateChannel", owner, { channelId: news.channelId }, { position: 0 });
    const role = await call<{ roleId: string }>(
      "createRole",
      owner,
      { communityId },
      { name: "mod", color: 0xff0000, permissions: serializePermissions(permissionsOf(["KICK_MEMBERS"])) },
    );
    await call("updateRole", owner, { communityId, roleId: role.roleId }, { name: "moderator" });
    await call("addMemberRole", owner, { communityId, accountId: bob.accountId, roleId: role.roleId });
    await call(
      "setOverwrite",
      owner,
      { channelId: news.channelId, targetId: role.roleId },
      { type: "role", allow: serializePermissions(permissionsOf(["SEND_MESSAGES"])), deny: "0" },
    );
    await call("deleteOverwrite", owner, { channelId: news.channelId, targetId: role.roleId });
    await call("removeMemberRole", owner, { communityId, accountId: bob.accountId, roleId: role.roleId });
    await call("timeoutMember", owner, { communityId, accountId: bob.accountId }, { durationMs: 60_000 });
    await call("kickMember", owner, { communityId, accountId: bob.accountId }, { reason: "test" });
    await call("banMember", owner, { communityId }, { accountId: bob.accountId, reason: "test" });
    await call("listBans", owner, { communityId });
    await call("unbanMember", owner, { communityId, accountId: bob.accountId });
    await call("getAuditLog", owner, { communityId });
    await call("revokeCommunityInvite", owner, { communityId, code: invite.code });
    await call("deleteRole", owner, { communityId, roleId: role.roleId });
    await call("deleteChannel", owner, { channelId: news.channelId });
    // the channel's group, created by a member device with the channel's id
    const groupId = newId();
    const group = await f.app.inject({
      method: "POST",
      url: "/v1/groups",
      headers: owner.auth,
      payload: { ...(await createGroupBody(groupId, owner)), channelId: general },
    });
    expect(group.statusCode, group.body).toBe(200);
    expect(group.json()).toMatchObject({ groupId, adminAccountIds: [] });
    const view = await call<{ channels: { groupId?: string }[] }>("getCommunity", owner, { communityId });
    expect(view.channels.map((c) => c.groupId)).toContain(groupId);
    const invite2 = await call<{ code: string }>("createCommunityInvite", owner, { communityId }, {});
    await call("joinCommunity", bob, { code: invite2.code });
    await call("transferOwnership", owner, { communityId }, { accountId: bob.accountId });
    await call("leaveCommunity", owner, { communityId });
    await call("deleteCommunity", bob, { communityId });
    // the two routes to other servers' communities are the federation's (test/federation/)
    const federated = ["joinRemoteCommunity", "previewRemoteCommunityInvite"];
    expect([...walked].sort()).toEqual(
      Object.keys(COMMUNITY_ROUTES)
        .filter((name) => !federated.includes(name))
        .sort(),
    );
  });

  it("without federation, an invite to another server's community is refused with a typed error", async () => {
    const code = "abcdefghijklmnop";
    for (const [method, url] of [
      ["GET", `/v1/servers/b.example:8443/community-invites/${code}`],
      ["POST", `/v1/servers/b.example:8443/community-invites/${code}/join`],
    ] as const) {
      const res = await f.app.inject({ method, url, headers: bob.auth });
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json()).toMatchObject({
        code: "VOLLY_E_COMMUNITY_INVITE_INVALID",
        details: { server: "b.example:8443" },
      });
    }
    const { communities } = (
      await f.app.inject({ method: "GET", url: "/v1/communities", headers: bob.auth })
    ).json() as { communities: unknown[] };
    expect(communities).toEqual([]);
  });

  it("a refused action is 403 VOLLY_E_FORBIDDEN with the permission's name; a stranger's view is 404", async () => {
    const { communityId } = await call<{ communityId: string }>(
      "createCommunity",
      owner,
      {},
      { name: "Closed" },
    );
    const stranger = await f.app.inject({
      method: "GET",
      url: `/v1/communities/${communityId}`,
      headers: bob.auth,
    });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json()).toMatchObject({ code: "VOLLY_E_UNKNOWN_COMMUNITY" });
    const invite = await call<{ code: string }>("createCommunityInvite", owner, { communityId }, {});
    await call("joinCommunity", bob, { code: invite.code });
    const refused = await f.app.inject({
      method: "POST",
      url: `/v1/communities/${communityId}/channels`,
      headers: bob.auth,
      payload: { name: "mine" },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
      details: { permission: "MANAGE_CHANNELS" },
    });
  });
});
