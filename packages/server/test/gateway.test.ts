import { randomBytes } from "node:crypto";
import { GatewayOp, LIMITS, newId, PROTOCOL_VERSION, signingInput, VOLLY_VERSION } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../../../test/helpers/wait-for.js";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";
import { snapshotDatabase } from "./helpers/db-snapshot.js";
import {
  connectGateway,
  connectIdentified,
  type Frame,
  type GatewayClient,
  identifyFrame,
} from "./helpers/gateway-client.js";
import { newKeys, signB64 } from "./helpers/identity.js";
import { commitBody, createGroupBody } from "./helpers/mls-groups.js";
import { fakeCiphertext } from "./helpers/services.js";

describe("gateway over a listening server", () => {
  let f: AppFixture;
  let base: string;
  let gatewayUrl: string;
  const clients: GatewayClient[] = [];

  beforeAll(async () => {
    f = await appFixture();
    base = await f.app.listen({ port: 0, host: "127.0.0.1" });
    gatewayUrl = `${base.replace("http", "ws")}/v1/gateway`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await f.close();
  });

  const track = <T extends { client: GatewayClient } | GatewayClient>(x: T): T => {
    clients.push("client" in x ? x.client : x);
    return x;
  };
  const connect = async () => track(await connectGateway(gatewayUrl));
  const identified = async (device: HttpDevice) => track(await connectIdentified(gatewayUrl, device));

  const createGroup = async (owner: HttpDevice, members: HttpDevice[]) => {
    const groupId = newId();
    const created = await f.app.inject({
      method: "POST",
      url: "/v1/groups",
      headers: owner.auth,
      payload: await createGroupBody(groupId, owner),
    });
    expect(created.statusCode, created.body).toBe(200);
    if (members.length > 0) {
      const res = await f.app.inject({
        method: "POST",
        url: `/v1/groups/${groupId}/commits`,
        headers: owner.auth,
        payload: await commitBody(f.store, groupId, owner, members),
      });
      expect(res.statusCode).toBe(200);
    }
    return groupId;
  };
  const sendMessage = async (sender: HttpDevice, groupId: string, ciphertext = fakeCiphertext()) => {
    const res = await f.app.inject({
      method: "POST",
      url: `/v1/groups/${groupId}/messages`,
      headers: sender.auth,
      payload: { messageId: newId(), epoch: 1, ciphertext },
    });
    expect(res.statusCode).toBe(200);
    return { ...(res.json() as { seq: number }), ciphertext };
  };
  const expectStillServing = async (client: GatewayClient) => {
    client.send({ op: GatewayOp.HEARTBEAT, d: null });
    expect((await client.next((x) => x.op === GatewayOp.HEARTBEAT_ACK)).d).toBeNull();
  };
  const errorCode = (frame: Frame) => (frame.d as { code: string }).code;
  const nextError = (client: GatewayClient) => client.next((x) => x.op === GatewayOp.ERROR);

  it("says HELLO, then IDENTIFY → READY → SYNCED with per-session dispatch seqs", async () => {
    const alice = await registerOverHttp(f.app);
    const client = await connect();
    expect(client.hello).toEqual({
      heartbeatIntervalMs: 30_000,
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      protocolVersion: PROTOCOL_VERSION,
      serverVersion: VOLLY_VERSION,
    });
    client.send(identifyFrame(client, alice.deviceId, alice.keys));
    const ready = await client.nextDispatch("READY");
    expect(ready.s).toBe(1);
    expect(ready.d).toEqual({
      sessionId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      accountId: alice.accountId,
      deviceId: alice.deviceId,
      handle: alice.handle,
    });
    const synced = await client.nextDispatch("SYNCED");
    expect(synced).toEqual({ op: GatewayOp.DISPATCH, s: 2, t: "SYNCED", d: { backlog: 0 } });
    await expectStillServing(client);
    client.send(identifyFrame(client, alice.deviceId, alice.keys));
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_ALREADY_AUTHENTICATED");
    await expectStillServing(client);
  });

  it("closes a bad IDENTIFY signature with ERROR VOLLY_E_BAD_SIGNATURE and 4004; other connections are unaffected", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const { client: bystander } = await identified(bob);
    const before = snapshotDatabase(f.file);
    const attacker = await connect();
    attacker.send({
      op: GatewayOp.IDENTIFY,
      d: {
        deviceId: alice.deviceId,
        signature: signB64(newKeys(), signingInput.identify(attacker.hello.nonce)),
        protocolVersion: PROTOCOL_VERSION,
      },
    });
    expect(errorCode(await nextError(attacker))).toBe("VOLLY_E_BAD_SIGNATURE");
    expect(await attacker.closed).toEqual({ code: 4004, reason: "VOLLY_E_BAD_SIGNATURE" });

    // A signature over another connection's nonce (replay) and an unknown device fail the same way.
    const replay = await connect();
    replay.send(identifyFrame(bystander, bob.deviceId, bob.keys));
    expect((await replay.closed).code).toBe(4004);
    const unknown = await connect();
    unknown.send(identifyFrame(unknown, newId(), newKeys()));
    expect((await unknown.closed).code).toBe(4004);
    await expectStillServing(bystander);
    expect(snapshotDatabase(f.file)).toEqual(before);
  });

  it("answers malformed, unknown-op, mis-shaped and premature frames with ERROR frames, changes nothing and stays open", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob]);
    const before = snapshotDatabase(f.file);
    const client = await connect();
    client.send("{not json");
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_MALFORMED_FRAME");
    client.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_MALFORMED_FRAME");
    client.send("[1,2]");
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_MALFORMED_FRAME");
    client.send({ op: 99, d: null });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_UNKNOWN_OP");
    client.send({ op: GatewayOp.DISPATCH, d: null });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_UNKNOWN_OP");
    client.send({ op: GatewayOp.IDENTIFY, d: { deviceId: 42 } });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_BAD_REQUEST");
    client.send({ op: GatewayOp.HEARTBEAT, d: null, extra: 1 });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_BAD_REQUEST");
    client.send({ op: GatewayOp.ACK, d: { cursors: [], welcomeIds: [] } });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_NOT_AUTHENTICATED");
    // Still usable: the HELLO nonce was not consumed by any of that.
    client.send(identifyFrame(client, bob.deviceId, bob.keys));
    await client.nextDispatch("READY");
    await client.nextDispatch("SYNCED");
    // Mis-shaped frames of an authenticated session: an ACK or TYPING with a bad group id, an
    // unknown presence status, a RESUME while identified.
    client.send({ op: GatewayOp.ACK, d: { cursors: [{ groupId: "x", seq: 1 }], welcomeIds: [] } });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_BAD_REQUEST");
    client.send({ op: GatewayOp.ACK, d: { cursors: [{ groupId, seq: -1 }], welcomeIds: [] } });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_BAD_REQUEST");
    client.send({ op: GatewayOp.TYPING, d: { groupId: 7 } });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_BAD_REQUEST");
    client.send({ op: GatewayOp.PRESENCE_UPDATE, d: { status: "invisible" } });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_BAD_REQUEST");
    client.send({
      op: GatewayOp.RESUME,
      d: { deviceId: bob.deviceId, sessionId: newId(), seq: 0, signature: "A".repeat(86) },
    });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_ALREADY_AUTHENTICATED");
    await expectStillServing(client);
    // The backlog read by a second connection awaits this device's pending acks: none were taken
    // (bob's Welcome is still there).
    const { client: again } = await identified(bob);
    expect((await again.untilSynced()).synced.d).toEqual({ backlog: 1 });
    expect(snapshotDatabase(f.file)).toEqual(before);
  });

  it("answers a frame over 64 KiB with ERROR VOLLY_E_FRAME_TOO_LARGE, stores nothing and keeps the connection; others are unaffected", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const carol = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob, carol]);
    const first = await sendMessage(alice, groupId);
    const { client: bystander } = await identified(carol);
    await bystander.untilSynced();
    const { client: big } = await identified(bob);
    const backlog = (await big.untilSynced()).events.filter((e) => e.t !== "PRESENCE_UPDATE");
    expect(backlog.map((e) => e.t)).toEqual(["WELCOME", "GROUP_MESSAGE"]);
    const welcomeId = (backlog[0]!.d as { welcomeId: string }).welcomeId;
    const before = snapshotDatabase(f.file);

    // A valid ACK (it would advance bob's cursor and clear his Welcome) padded with JSON whitespace
    // to one byte over the limit: refused before it is parsed.
    const limit = LIMITS.maxInboundFrameBytes;
    const ack = JSON.stringify({
      op: GatewayOp.ACK,
      d: { cursors: [{ groupId, seq: first.seq }], welcomeIds: [welcomeId] },
    });
    big.send(ack.padEnd(limit + 1, " "));
    expect((await nextError(big)).d).toEqual({
      code: "VOLLY_E_FRAME_TOO_LARGE",
      message: `Gateway frames are limited to ${limit} bytes.`,
      details: { maxBytes: limit, bytes: limit + 1 },
    });
    // Anything up to the hard cap is refused the same way, even when it is not JSON.
    big.send("x".repeat(LIMITS.inboundFrameHardCapBytes));
    expect(errorCode(await nextError(big))).toBe("VOLLY_E_FRAME_TOO_LARGE");
    // A frame of exactly the limit is read.
    big.send(JSON.stringify({ op: GatewayOp.HEARTBEAT, d: null }).padEnd(limit, " "));
    await big.next((x) => x.op === GatewayOp.HEARTBEAT_ACK);
    await expectStillServing(big);

    // Nothing was acknowledged: a second connection of bob (its backlog read awaits bob's pending
    // acks) gets the same backlog, and the database is unchanged.
    const { client: again } = await identified(bob);
    expect((await again.untilSynced()).synced.d).toEqual({ backlog: 2 });
    expect(snapshotDatabase(f.file)).toEqual(before);

    // The connection that sent it and the bystander both keep receiving live messages.
    const sent = await sendMessage(alice, groupId);
    expect((await big.nextDispatch("GROUP_MESSAGE")).d).toMatchObject({ groupId, seq: sent.seq });
    expect((await bystander.nextDispatch("GROUP_MESSAGE")).d).toMatchObject({ groupId, seq: sent.seq });
    expect(big.ws.readyState).toBe(big.ws.OPEN);
  });

  it("closes a frame over the 256 KiB hard cap with 1009 (no ERROR frame); nothing stored, others unaffected", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob]);
    const { client: bobClient } = await identified(bob);
    await bobClient.untilSynced();
    const before = snapshotDatabase(f.file);

    const { client: big } = await identified(alice);
    await big.untilSynced();
    big.send("x".repeat(LIMITS.inboundFrameHardCapBytes + 1));
    expect((await big.closed).code).toBe(1009);
    expect(big.received.filter((x) => x.op === GatewayOp.ERROR)).toEqual([]);
    await expectStillServing(bobClient);
    expect(snapshotDatabase(f.file)).toEqual(before);

    const sent = await sendMessage(alice, groupId);
    const got = await bobClient.nextDispatch("GROUP_MESSAGE");
    expect(got.d).toMatchObject({ groupId, seq: sent.seq, payload: sent.ciphertext });
  });

  it("survives a burst of 500 random garbage frames, changes nothing and keeps serving everyone", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob]);
    const { client: bobClient } = await identified(bob);
    await bobClient.untilSynced();
    const before = snapshotDatabase(f.file);

    const randomJson = (): unknown => {
      const pick = Math.floor(Math.random() * 6);
      if (pick === 0) return { op: Math.floor(Math.random() * 20), d: randomBytes(8).toString("hex") };
      if (pick === 1)
        return {
          op: GatewayOp.IDENTIFY,
          d: { deviceId: randomBytes(16).toString("base64url").slice(0, 22) },
        };
      if (pick === 2) return { op: GatewayOp.RESUME, d: { seq: -1 } };
      if (pick === 3) return [Math.random(), null, "x"];
      if (pick === 4) return { op: GatewayOp.ACK, d: { cursors: [{ groupId: 1 }], welcomeIds: "no" } };
      return Math.random();
    };
    const attackers = await Promise.all(Array.from({ length: 5 }, () => connect()));
    for (let i = 0; i < 500; i++) {
      const attacker = attackers[i % attackers.length]!;
      if (attacker.ws.readyState !== attacker.ws.OPEN) continue;
      if (i % 2 === 0) attacker.send(randomBytes(1 + Math.floor(Math.random() * 200)), { binary: true });
      else attacker.send(JSON.stringify(randomJson()));
    }
    // Every attacker is answered (with errors) or closed; none takes the server down. A well-formed
    // premature ACK is handled after every frame queued before it: its error means all were handled.
    await Promise.all(
      attackers.map(async (a) => {
        if (a.ws.readyState !== a.ws.OPEN) return;
        await expectStillServing(a);
        a.send({ op: GatewayOp.ACK, d: { cursors: [], welcomeIds: [] } });
        await a.next((x) => x.op === GatewayOp.ERROR && errorCode(x) === "VOLLY_E_NOT_AUTHENTICATED");
      }),
    );
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(snapshotDatabase(f.file)).toEqual(before);
    const sent = await sendMessage(alice, groupId);
    expect((await bobClient.nextDispatch("GROUP_MESSAGE")).d).toMatchObject({ seq: sent.seq });
    const { client: fresh } = await identified(alice);
    await fresh.untilSynced();
  });

  it("dispatches a message sent over REST to another member's live session exactly once, in order, not to its sender", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob]);
    const { client: bobClient } = await identified(bob);
    await bobClient.untilSynced();
    const { client: aliceClient } = await identified(alice);
    await aliceClient.untilSynced();

    const sent = [];
    for (let i = 0; i < 20; i++) sent.push(await sendMessage(alice, groupId));
    const got: Frame[] = [];
    for (let i = 0; i < 20; i++) got.push(await bobClient.nextDispatch("GROUP_MESSAGE"));
    await sleep(200);
    const all = bobClient.received.filter((x) => x.t === "GROUP_MESSAGE");
    expect(all).toHaveLength(20);
    expect(got.map((g) => (g.d as { seq: number }).seq)).toEqual(sent.map((s) => s.seq));
    expect(got.map((g) => (g.d as { payload: string }).payload)).toEqual(sent.map((s) => s.ciphertext));
    const seqs = got.map((g) => g.s!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(got[0]!.d).toMatchObject({
      groupId,
      kind: "application",
      epoch: 1,
      senderDeviceId: alice.deviceId,
      senderAccountId: alice.accountId,
      senderHandle: alice.handle,
    });
    expect(aliceClient.received.filter((x) => x.t === "GROUP_MESSAGE")).toHaveLength(0);
  });

  it("dispatches concurrently sent messages exactly once and in seq order", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const carol = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob, carol]);
    const { client } = await identified(carol);
    await client.untilSynced();
    const sent = await Promise.all(
      Array.from({ length: 40 }, (_, i) => sendMessage(i % 2 ? alice : bob, groupId)),
    );
    for (let i = 0; i < 40; i++) await client.nextDispatch("GROUP_MESSAGE");
    await sleep(100);
    const seqs = client.received
      .filter((x) => x.t === "GROUP_MESSAGE")
      .map((x) => (x.d as { seq: number }).seq);
    expect(seqs).toEqual(sent.map((m) => m.seq).sort((a, b) => a - b));
  });

  it("delivers the backlog to a device that was offline: WELCOME first, then messages, then SYNCED {backlog}", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob]);
    const sent = [
      await sendMessage(alice, groupId),
      await sendMessage(alice, groupId),
      await sendMessage(alice, groupId),
    ];
    const { client } = await identified(bob);
    const { events, synced } = await client.untilSynced();
    expect(events.map((e) => e.t)).toEqual(["WELCOME", "GROUP_MESSAGE", "GROUP_MESSAGE", "GROUP_MESSAGE"]);
    expect(events[0]!.d).toMatchObject({ groupId, epoch: 1, seq: 1, senderDeviceId: alice.deviceId });
    expect(events.slice(1).map((e) => (e.d as { seq: number }).seq)).toEqual(sent.map((s) => s.seq));
    expect(synced.d).toEqual({ backlog: 4 });
  });

  it("dispatches a WELCOME live when the device is added, then the new group's messages", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const { client } = await identified(bob);
    await client.untilSynced();
    const groupId = await createGroup(alice, [bob]);
    const welcome = await client.nextDispatch("WELCOME");
    expect(welcome.d).toMatchObject({ groupId, seq: 1, epoch: 1 });
    expect((welcome.d as { ratchetTree: string }).ratchetTree).toMatch(/^[A-Za-z0-9_-]+$/);
    const sent = await sendMessage(alice, groupId);
    expect((await client.nextDispatch("GROUP_MESSAGE")).d).toMatchObject({ groupId, seq: sent.seq });
  });

  it("follows a group its device creates while connected: the members' messages are dispatched live", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const { client } = await identified(alice);
    await client.untilSynced();
    const groupId = await createGroup(alice, [bob]);
    const sent = await sendMessage(bob, groupId);
    expect((await client.nextDispatch("GROUP_MESSAGE")).d).toMatchObject({ groupId, seq: sent.seq });
  });

  it("advances the cursor on ACK so a reconnect does not redeliver", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob]);
    await sendMessage(alice, groupId);
    const last = await sendMessage(alice, groupId);
    const first = await identified(bob);
    const { events } = await first.client.untilSynced();
    const welcomeId = (events[0]!.d as { welcomeId: string }).welcomeId;
    first.client.send({
      op: GatewayOp.ACK,
      d: { cursors: [{ groupId, seq: last.seq }], welcomeIds: [welcomeId] },
    });
    await expectStillServing(first.client); // frames are handled in order: the ACK is done
    await first.client.close();

    const again = await identified(bob);
    const replay = await again.client.untilSynced();
    expect(replay.events).toEqual([]);
    expect(replay.synced.d).toEqual({ backlog: 0 });
  });

  it("resumes a recently closed session: RESUMED, the s counter continues, backlog from the cursors, SYNCED", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob]);
    const first = await identified(bob);
    const { synced } = await first.client.untilSynced(); // WELCOME + SYNCED
    await first.client.close();
    const sent = await sendMessage(alice, groupId);

    const client = await connect();
    client.send({
      op: GatewayOp.RESUME,
      d: {
        deviceId: bob.deviceId,
        sessionId: first.ready.sessionId,
        seq: synced.s!,
        signature: signB64(bob.keys, signingInput.identify(client.hello.nonce)),
      },
    });
    const resumed = await client.nextDispatch("RESUMED");
    expect(resumed.d).toEqual({ sessionId: first.ready.sessionId });
    expect(resumed.s).toBe(synced.s! + 1);
    const { events } = await client.untilSynced();
    expect(events.map((e) => e.t)).toEqual(["WELCOME", "GROUP_MESSAGE"]); // nothing was acked
    expect(events[1]!.d).toMatchObject({ seq: sent.seq });
    expect(events[0]!.s).toBe(synced.s! + 2);
  });

  it("moves a session that is still attached to the resuming connection; the old one closes with 4009", async () => {
    const bob = await registerOverHttp(f.app);
    const first = await identified(bob);
    await first.client.untilSynced();
    const client = await connect();
    client.send({
      op: GatewayOp.RESUME,
      d: {
        deviceId: bob.deviceId,
        sessionId: first.ready.sessionId,
        seq: 2,
        signature: signB64(bob.keys, signingInput.identify(client.hello.nonce)),
      },
    });
    expect((await client.nextDispatch("RESUMED")).s).toBe(3);
    expect((await first.client.closed).code).toBe(4009);
    await client.untilSynced();
  });

  it("dispatches to a removed device the commit that removed it, then nothing more of that group", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const carol = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob, carol]);
    const { client } = await identified(carol);
    await client.untilSynced();
    const removal = await f.app.inject({
      method: "POST",
      url: `/v1/groups/${groupId}/commits`,
      headers: alice.auth,
      payload: await commitBody(f.store, groupId, alice, [], [carol]),
    });
    expect(removal.statusCode).toBe(200);
    const after = await sendMessage(bob, groupId);
    const { client: aliceClient } = await identified(alice);
    await aliceClient.untilSynced();
    const marker = await sendMessage(bob, groupId);
    expect((await aliceClient.nextDispatch("GROUP_MESSAGE")).d).toMatchObject({ seq: marker.seq });
    await expectStillServing(client);
    const seen = client.received
      .filter((x) => x.t === "GROUP_MESSAGE")
      .map((x) => (x.d as { seq: number }).seq);
    expect(seen).toEqual([(removal.json() as { seq: number }).seq]);
    expect(seen).not.toContain(after.seq);
    expect(seen).not.toContain(marker.seq);
  });

  it("answers RESUME of an unknown session with INVALID_SESSION {resumable:false}; IDENTIFY then works", async () => {
    const bob = await registerOverHttp(f.app);
    const client = await connect();
    client.send({
      op: GatewayOp.RESUME,
      d: {
        deviceId: bob.deviceId,
        sessionId: newId(),
        seq: 3,
        signature: signB64(bob.keys, signingInput.identify(client.hello.nonce)),
      },
    });
    expect(await client.next((x) => x.op === GatewayOp.INVALID_SESSION)).toEqual({
      op: GatewayOp.INVALID_SESSION,
      d: { resumable: false },
    });
    client.send(identifyFrame(client, bob.deviceId, bob.keys));
    expect((await client.nextDispatch("READY")).s).toBe(1);
  });

  it("refuses to RESUME another device's session (bad signature closes with 4004)", async () => {
    const alice = await registerOverHttp(f.app);
    const mallory = await registerOverHttp(f.app);
    const first = await identified(alice);
    await first.client.close();
    const client = await connect();
    client.send({
      op: GatewayOp.RESUME,
      d: {
        deviceId: alice.deviceId,
        sessionId: first.ready.sessionId,
        seq: 0,
        signature: signB64(mallory.keys, signingInput.identify(client.hello.nonce)),
      },
    });
    expect(errorCode(await nextError(client))).toBe("VOLLY_E_BAD_SIGNATURE");
    expect((await client.closed).code).toBe(4004);
    // …and a valid signature by another device cannot take the session over.
    const other = await connect();
    other.send({
      op: GatewayOp.RESUME,
      d: {
        deviceId: mallory.deviceId,
        sessionId: first.ready.sessionId,
        seq: 0,
        signature: signB64(mallory.keys, signingInput.identify(other.hello.nonce)),
      },
    });
    expect((await other.next((x) => x.op === GatewayOp.INVALID_SESSION)).d).toEqual({ resumable: false });
  });

  it("never logs frame payloads or message content", async () => {
    const alice = await registerOverHttp(f.app);
    const bob = await registerOverHttp(f.app);
    const groupId = await createGroup(alice, [bob]);
    const { client } = await identified(bob);
    await client.untilSynced();
    const secret = fakeCiphertext(40);
    await sendMessage(alice, groupId, secret);
    await client.nextDispatch("GROUP_MESSAGE");
    client.send(`{"garbage":"${secret}"`);
    await nextError(client);
    expect(f.logs()).not.toContain(secret);
  });
});

describe("gateway heartbeats", () => {
  it("acks heartbeats and closes a client silent for twice the interval with VOLLY_E_HEARTBEAT_TIMEOUT (4009)", async () => {
    const f = await appFixture({ heartbeatIntervalMs: 150 });
    try {
      const base = await f.app.listen({ port: 0, host: "127.0.0.1" });
      const client = await connectGateway(`${base.replace("http", "ws")}/v1/gateway`);
      expect(client.hello.heartbeatIntervalMs).toBe(150);
      const started = Date.now();
      for (let i = 0; i < 4; i++) {
        await sleep(100);
        client.send({ op: GatewayOp.HEARTBEAT, d: null });
        await client.next((x) => x.op === GatewayOp.HEARTBEAT_ACK);
      }
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      const error = await client.next((x) => x.op === GatewayOp.ERROR, 2_000);
      expect((error.d as { code: string }).code).toBe("VOLLY_E_HEARTBEAT_TIMEOUT");
      expect(await client.closed).toEqual({ code: 4009, reason: "VOLLY_E_HEARTBEAT_TIMEOUT" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(400 + 250);
    } finally {
      await f.close();
    }
  });
});
