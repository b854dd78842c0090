import type { VollyClient } from "@volly/client";
import type { VoiceStateUpdateEvent } from "@volly/protocol";
import { JanusClient, VideoRoom } from "@volly/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { janusAvailable, lastLogLine } from "./helpers/janus.js";
import { JanusParticipant } from "./helpers/janus-participant.js";
import { newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const API_SECRET = "voice-test-api-secret";

/**
 * Community voice channels against a real `volly serve` with a managed Janus: permissions, voice
 * state dispatches, the Janus room's lifecycle and its access list, moderation, and a dropped
 * gateway connection clearing its state.
 */
describe.runIf(janusAvailable())("voice channels (VOLLY_SFU=managed, real Janus)", () => {
  let server: ServerProcess;
  let owner: VollyClient;
  let ann: VollyClient;
  let ben: VollyClient;
  let janusUrl: string;
  const home = tempDir("volly-voice-");

  beforeAll(async () => {
    server = await startServerProcess(undefined, 0, {
      VOLLY_SFU: "managed",
      VOLLY_SFU_API_SECRET: API_SECRET,
      VOLLY_VOICE_GRACE_MS: "300",
    });
    janusUrl = String(lastLogLine(server.output(), "sfu ready")?.url);
    const [o, a, b] = await Promise.all(["owner", "ann", "ben"].map((h) => newClient(home, server.url, h)));
    if (!o || !a || !b) throw new Error("three clients");
    [owner, ann, ben] = [o, a, b];
    await Promise.all([owner, ann, ben].map((c) => c.connect()));
  }, 60_000);
  afterAll(async () => {
    await Promise.all([owner, ann, ben].map((c) => c?.close()));
    await server?.stop();
  });

  /** The server's rooms, seen through Janus's API with the API secret. */
  async function janusRooms() {
    const client = await JanusClient.connect(janusUrl, { apiSecret: API_SECRET });
    try {
      const session = await client.createSession();
      const rooms = await VideoRoom.attach(session);
      const list = await rooms.listRooms();
      const participants = new Map<number, number[]>();
      for (const r of list) {
        participants.set(
          Number(r.room),
          (await rooms.listParticipants(r.room)).map((p) => Number(p.id)),
        );
      }
      await session.destroy();
      return { list, participants };
    } finally {
      client.close();
    }
  }

  async function community() {
    const created = await owner.communities.create("Voice guild");
    const invite = await owner.communities.createInvite(created.communityId);
    await ann.communities.join(invite.link);
    await ben.communities.join(invite.link);
    const lounge = await owner.communities.createChannel(created.communityId, {
      name: "Lounge",
      type: "voice",
    });
    const stage = await owner.communities.createChannel(created.communityId, {
      name: "Stage",
      type: "voice",
    });
    return { communityId: created.communityId, lounge, stage };
  }

  it("join: state dispatched, the room exists and the join token (only it) lets the member in; no CONNECT → 403; mute, move, leave", async () => {
    const { communityId, lounge, stage } = await community();
    expect(lounge.type).toBe("voice");
    // a voice channel is an MLS group like a text channel
    await waitFor(
      async () =>
        (await owner.communities.get(communityId)).channels.find((c) => c.channelId === lounge.channelId)
          ?.groupId !== undefined,
      { message: "the voice channel's group" },
    );

    const benSaw: VoiceStateUpdateEvent[] = [];
    ben.communities.voice.voiceStates.add((e) => benSaw.push(e));
    const joined = await ann.communities.voice.join(communityId, lounge.channelId);
    expect(joined.state).toMatchObject({ channelId: lounge.channelId, selfMute: false, serverMute: false });
    expect(joined.sfu.url).toBe(janusUrl);
    await waitFor(() => benSaw.some((e) => e.state?.channelId === lounge.channelId), {
      message: "ben sees ann join",
    });

    const { list } = await janusRooms();
    expect(list).toContainEqual(
      expect.objectContaining({ room: joined.sfu.room, description: lounge.channelId, require_e2ee: true }),
    );

    // wrong or absent join token: refused by Janus; the right one: joined
    const annSfu = await JanusParticipant.open(joined.sfu.url, joined.sfu.gatewayToken);
    expect(await annSfu.join(joined.sfu.room, joined.sfu.participantId, "not-the-token")).toMatchObject({
      error_code: expect.any(Number),
    });
    expect(await annSfu.join(joined.sfu.room, joined.sfu.participantId, undefined)).toMatchObject({
      error_code: expect.any(Number),
    });
    expect(await annSfu.join(joined.sfu.room, joined.sfu.participantId, joined.sfu.token)).toMatchObject({
      videoroom: "joined",
    });
    expect((await janusRooms()).participants.get(joined.sfu.room)).toEqual([joined.sfu.participantId]);
    // without the gateway token the Janus API is closed
    await expect(JanusParticipant.open(joined.sfu.url, undefined)).rejects.toThrow();

    // ben without CONNECT in the lounge: 403 naming it, nothing changes
    await owner.communities.setOverwrite(lounge.channelId, { member: "@ben" }, [], ["CONNECT"]);
    await expect(ben.communities.voice.join(communityId, lounge.channelId)).rejects.toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
      details: { permission: "CONNECT" },
    });
    expect((await owner.communities.voice.states(communityId)).map((s) => s.accountId)).toEqual([
      joined.state.accountId,
    ]);

    // server mute: ben lacks MUTE_MEMBERS; the owner has it
    await expect(
      ben.communities.voice.serverMute(communityId, joined.state.accountId, true),
    ).rejects.toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
      details: { permission: "MUTE_MEMBERS" },
    });
    const muted = await owner.communities.voice.serverMute(communityId, joined.state.accountId, true);
    expect(muted).toMatchObject({ serverMute: true, channelId: lounge.channelId });
    await waitFor(() => benSaw.some((e) => e.state?.serverMute === true), { message: "ben sees the mute" });
    expect(await ann.communities.voice.setSelfDeaf(communityId, true)).toMatchObject({
      selfDeaf: true,
      serverMute: true,
    });

    // move to the stage: the lounge's room is destroyed (nobody left), a new room for the stage
    await expect(
      ben.communities.voice.move(communityId, joined.state.accountId, stage.channelId),
    ).rejects.toMatchObject({
      details: { permission: "MOVE_MEMBERS" },
    });
    const moved = await owner.communities.voice.move(communityId, joined.state.accountId, stage.channelId);
    expect(moved).toMatchObject({ channelId: stage.channelId, serverMute: true });
    await waitFor(
      () =>
        benSaw.some(
          (e) => e.state?.channelId === stage.channelId && e.previousChannelId === lounge.channelId,
        ),
      { message: "ben sees the move" },
    );
    annSfu.close();
    const afterMove = await janusRooms();
    expect(afterMove.list.map((r) => r.room)).not.toContain(joined.sfu.room);
    const rejoined = await ann.communities.voice.join(communityId, stage.channelId);
    expect(afterMove.list.map((r) => r.room)).toContain(rejoined.sfu.room);

    // leave: state null dispatched, the room destroyed
    await ann.communities.voice.leave(communityId);
    await waitFor(() => benSaw.some((e) => e.state === null && e.previousChannelId === stage.channelId), {
      message: "ben sees ann leave",
    });
    expect(await owner.communities.voice.states(communityId)).toEqual([]);
    expect((await janusRooms()).list.map((r) => r.room)).not.toContain(rejoined.sfu.room);
  }, 90_000);

  it("a device whose gateway connection drops leaves its voice channel after the grace period", async () => {
    const { communityId, lounge } = await community();
    const dropper = await newClient(home, server.url, "dropper");
    if (!dropper) throw new Error("client");
    await dropper.connect();
    const invite = await owner.communities.createInvite(communityId);
    await dropper.communities.join(invite.link);
    const joined = await dropper.communities.voice.join(communityId, lounge.channelId);
    expect((await owner.communities.voice.states(communityId)).map((s) => s.deviceId)).toEqual([
      joined.state.deviceId,
    ]);
    await dropper.close();
    await waitFor(async () => (await owner.communities.voice.states(communityId)).length === 0, {
      message: "state cleared",
    });
    expect((await janusRooms()).list.map((r) => r.room)).not.toContain(joined.sfu.room);
  }, 60_000);

  it("a member kicked from the community is taken out of its voice channel and its Janus room; one who loses CONNECT too", async () => {
    const { communityId, lounge } = await community();
    const kicked = await newClient(home, server.url, "kicked");
    const muted = await newClient(home, server.url, "unwelcome");
    if (!kicked || !muted) throw new Error("clients");
    try {
      await Promise.all([kicked.connect(), muted.connect()]);
      const invite = await owner.communities.createInvite(communityId);
      await kicked.communities.join(invite.link);
      await muted.communities.join(invite.link);
      const ownerIn = await owner.communities.voice.join(communityId, lounge.channelId);
      const joined = await kicked.communities.voice.join(communityId, lounge.channelId);
      await muted.communities.voice.join(communityId, lounge.channelId);
      // the kicked member's device is in the Janus room with its join token
      const sfu = await JanusParticipant.open(joined.sfu.url, joined.sfu.gatewayToken);
      expect(await sfu.join(joined.sfu.room, joined.sfu.participantId, joined.sfu.token)).toMatchObject({
        videoroom: "joined",
      });
      expect((await janusRooms()).participants.get(joined.sfu.room)).toEqual([joined.sfu.participantId]);

      await owner.communities.kick(communityId, "@kicked");
      const accounts = async () =>
        (await owner.communities.voice.states(communityId)).map((s) => s.accountId);
      expect(await accounts()).not.toContain(joined.state.accountId);
      expect((await janusRooms()).participants.get(joined.sfu.room)).toEqual([]);

      // an overwrite taking CONNECT away takes the member out too; the owner stays
      await owner.communities.setOverwrite(lounge.channelId, { member: "@unwelcome" }, [], ["CONNECT"]);
      expect(await accounts()).toEqual([ownerIn.state.accountId]);
      sfu.close();
    } finally {
      await Promise.all([kicked.close(), muted.close()]);
      await owner.communities.voice.leave(communityId).catch(() => undefined);
    }
  }, 60_000);

  it("without an SFU, joining is a typed 503", async () => {
    const plain = await startServerProcess();
    try {
      const c = await newClient(tempDir("volly-voice-plain-"), plain.url, "solo");
      if (!c) throw new Error("client");
      const created = await c.communities.create("No SFU");
      const ch = await c.communities.createChannel(created.communityId, { name: "v", type: "voice" });
      await expect(c.communities.voice.join(created.communityId, ch.channelId)).rejects.toMatchObject({
        code: "VOLLY_E_SFU_UNAVAILABLE",
      });
      await c.close();
    } finally {
      await plain.stop();
    }
  }, 60_000);
});
