import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { GatewayOp, newId } from "@volly/protocol";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { buildApp } from "../src/app.js";
import { createInProcessBus } from "../src/bus/in-process-bus.js";
import { DEFAULT_CONFIG } from "../src/config.js";
import { MAX_SENDS_IN_FLIGHT } from "../src/gateway/ops/send.js";
import { type HttpDevice, registerOverHttp } from "./helpers/app.js";
import {
  connectGateway,
  connectIdentified,
  type Frame,
  type GatewayClient,
} from "./helpers/gateway-client.js";
import { commitBody, createGroupBody } from "./helpers/mls-groups.js";
import { fakeCiphertext } from "./helpers/services.js";
import { forEachBackend, type OpenedStore } from "./helpers/store-backends.js";

interface SendAck {
  groupId: string;
  messageId: string;
  seq: number;
  duplicate: boolean;
}

forEachBackend((backend) => {
  describe("gateway SEND (messages over the WebSocket)", () => {
    let opened: OpenedStore;
    let app: FastifyInstance;
    let gatewayUrl: string;
    let removeDir: () => void;
    const clients: GatewayClient[] = [];

    beforeAll(async () => {
      opened = await backend.fresh();
      const { dir, remove } = removableTempDir();
      removeDir = remove;
      const bus = createInProcessBus();
      app = await buildApp({
        config: { ...DEFAULT_CONFIG, dataDir: dir, ciphersuite: DEFAULT_CIPHERSUITE, webDir: `${dir}/none` },
        store: opened.store,
        bus,
        logger: pino({ level: "silent" }),
      });
      const base = await app.listen({ port: 0, host: "127.0.0.1" });
      gatewayUrl = `${base.replace("http", "ws")}/v1/gateway`;
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await app.close();
      await opened.close();
      removeDir();
    });

    const identified = async (device: HttpDevice) => {
      const { client } = await connectIdentified(gatewayUrl, device);
      clients.push(client);
      await client.untilSynced();
      return client;
    };
    /** A group of `owner` and `members` at epoch 1. */
    const groupOf = async (owner: HttpDevice, members: HttpDevice[]) => {
      const groupId = newId();
      const created = await app.inject({
        method: "POST",
        url: "/v1/groups",
        headers: owner.auth,
        payload: await createGroupBody(groupId, owner),
      });
      expect(created.statusCode, created.body).toBe(200);
      const res = await app.inject({
        method: "POST",
        url: `/v1/groups/${groupId}/commits`,
        headers: owner.auth,
        payload: await commitBody(opened.store, groupId, owner, members),
      });
      expect(res.statusCode).toBe(200);
      return groupId;
    };
    const sendFrame = (groupId: string, messageId = newId(), ciphertext = fakeCiphertext()) => ({
      op: GatewayOp.SEND,
      d: { groupId, messageId, epoch: 1, ciphertext },
    });
    const nextAck = async (client: GatewayClient, messageId: string) =>
      (await client.next((f) => f.op === GatewayOp.SEND_ACK && (f.d as SendAck).messageId === messageId))
        .d as SendAck;
    const nextErrorFor = async (client: GatewayClient, messageId: string) =>
      (
        await client.next(
          (f) =>
            f.op === GatewayOp.ERROR &&
            (f.d as { details?: { messageId?: string } }).details?.messageId === messageId,
        )
      ).d as { code: string; details: Record<string, unknown> };
    const logOf = async (member: HttpDevice, groupId: string) => {
      // What a device that reconnects reads from the store: the durable log, not the live fan-out.
      const client = await connectGateway(gatewayUrl);
      clients.push(client);
      const { identifyFrame } = await import("./helpers/gateway-client.js");
      client.send(identifyFrame(client, member.deviceId, member.keys));
      const { events } = await client.untilSynced();
      return events
        .filter((f) => f.t === "GROUP_MESSAGE" && (f.d as { groupId: string }).groupId === groupId)
        .map((f) => f.d as { seq: number; messageId: string; payload: string });
    };

    it("appends a SEND durably, answers SEND_ACK with its seq, and fans it out to the other members", async () => {
      const alice = await registerOverHttp(app);
      const bob = await registerOverHttp(app);
      const groupId = await groupOf(alice, [bob]);
      const a = await identified(alice);
      const b = await identified(bob);
      const frame = sendFrame(groupId);
      a.send(frame);
      const ack = await nextAck(a, frame.d.messageId);
      expect(ack).toEqual({ groupId, messageId: frame.d.messageId, seq: 2, duplicate: false });
      const got = await b.nextDispatch("GROUP_MESSAGE");
      expect(got.d).toMatchObject({
        groupId,
        seq: 2,
        kind: "application",
        messageId: frame.d.messageId,
        payload: frame.d.ciphertext,
        senderDeviceId: alice.deviceId,
        senderHandle: alice.handle,
      });
      // The sender does not get its own message back.
      await expect(a.nextDispatch("GROUP_MESSAGE", 300)).rejects.toThrow(/timed out/);
    });

    it("keeps one connection's SENDs to a group in arrival order with many in flight", async () => {
      const alice = await registerOverHttp(app);
      const bob = await registerOverHttp(app);
      const groupId = await groupOf(alice, [bob]);
      const a = await identified(alice);
      const frames = Array.from({ length: 60 }, () => sendFrame(groupId));
      for (const frame of frames) a.send(frame);
      const acks = await Promise.all(frames.map((f) => nextAck(a, f.d.messageId)));
      expect(acks.map((ack) => ack.seq)).toEqual(frames.map((_, i) => i + 2));
      const log = await logOf(bob, groupId);
      expect(log.map((e) => e.messageId)).toEqual(frames.map((f) => f.d.messageId));
      expect(log.map((e) => e.payload)).toEqual(frames.map((f) => f.d.ciphertext));
    });

    it("is idempotent by message id; a different payload under a used id is refused", async () => {
      const alice = await registerOverHttp(app);
      const bob = await registerOverHttp(app);
      const groupId = await groupOf(alice, [bob]);
      const a = await identified(alice);
      const frame = sendFrame(groupId);
      a.send(frame);
      const first = await nextAck(a, frame.d.messageId);
      a.send(frame);
      expect(await nextAck(a, frame.d.messageId)).toEqual({ ...first, duplicate: true });
      a.send(sendFrame(groupId, frame.d.messageId, fakeCiphertext()));
      const error = await nextErrorFor(a, frame.d.messageId);
      expect(error.code).toBe("VOLLY_E_MESSAGE_ID_CONFLICT");
      expect(await logOf(bob, groupId)).toHaveLength(1);
    });

    it("refuses a SEND before IDENTIFY, to a group the device is not in, or at a future epoch, and stays open", async () => {
      const alice = await registerOverHttp(app);
      const bob = await registerOverHttp(app);
      const carol = await registerOverHttp(app);
      const groupId = await groupOf(alice, [bob]);

      const anonymous = await connectGateway(gatewayUrl);
      clients.push(anonymous);
      const early = sendFrame(groupId);
      anonymous.send(early);
      expect((await nextErrorFor(anonymous, early.d.messageId)).code).toBe("VOLLY_E_NOT_AUTHENTICATED");

      const c = await identified(carol);
      const outsider = sendFrame(groupId);
      c.send(outsider);
      expect((await nextErrorFor(c, outsider.d.messageId)).code).toBe("VOLLY_E_NOT_GROUP_MEMBER");

      const a = await identified(alice);
      const future = { ...sendFrame(groupId), d: { ...sendFrame(groupId).d, epoch: 7 } };
      a.send(future);
      const error = await nextErrorFor(a, future.d.messageId);
      expect(error).toMatchObject({ code: "VOLLY_E_BAD_REQUEST", details: { currentEpoch: 1 } });

      // Still serving on every one of those connections, and nothing was appended.
      for (const client of [anonymous, c, a]) {
        client.send({ op: GatewayOp.HEARTBEAT, d: null });
        await client.next((f: Frame) => f.op === GatewayOp.HEARTBEAT_ACK);
      }
      expect(await logOf(bob, groupId)).toHaveLength(0);
    });

    it("validates SEND against its schema: a bad frame gets VOLLY_E_BAD_REQUEST naming its message and stores nothing", async () => {
      const alice = await registerOverHttp(app);
      const bob = await registerOverHttp(app);
      const groupId = await groupOf(alice, [bob]);
      const a = await identified(alice);
      const bad = [
        { op: GatewayOp.SEND, d: { groupId, messageId: newId(), epoch: 1, ciphertext: "not base64url!" } },
        { op: GatewayOp.SEND, d: { groupId, messageId: newId(), epoch: -1, ciphertext: fakeCiphertext() } },
        { op: GatewayOp.SEND, d: { ...sendFrame(groupId).d, extra: true } },
        { op: GatewayOp.SEND, d: { groupId: "../etc", messageId: newId(), epoch: 1, ciphertext: "AA" } },
      ];
      for (const frame of bad) {
        a.send(frame);
        const error = await a.next((f) => f.op === GatewayOp.ERROR);
        expect((error.d as { code: string }).code).toBe("VOLLY_E_BAD_REQUEST");
        // The refusal names the message, so a client can tell which SEND it answers.
        expect((error.d as { details: { messageId: string } }).details.messageId).toBe(frame.d.messageId);
      }
      expect(await logOf(bob, groupId)).toHaveLength(0);
    });

    it(`caps a connection at ${MAX_SENDS_IN_FLIGHT} SENDs waiting for their commit`, async () => {
      const alice = await registerOverHttp(app);
      const bob = await registerOverHttp(app);
      const groupId = await groupOf(alice, [bob]);
      const a = await identified(alice);
      const frames = Array.from({ length: 1000 }, () => sendFrame(groupId, newId(), "AA"));
      // Written in one go (~140 KB): the server reads hundreds of SENDs before any commit is done.
      const tcp = (a.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
      tcp.cork();
      for (const frame of frames) a.send(frame);
      tcp.uncork();
      const outcomes = await Promise.all(
        frames.map(
          async (f) =>
            (
              await a.next(
                (x) =>
                  (x.op === GatewayOp.SEND_ACK && (x.d as SendAck).messageId === f.d.messageId) ||
                  (x.op === GatewayOp.ERROR &&
                    (x.d as { code: string; details?: { messageId?: string } }).code ===
                      "VOLLY_E_RATE_LIMITED" &&
                    (x.d as { details?: { messageId?: string } }).details?.messageId === f.d.messageId),
                20_000,
              )
            ).op,
        ),
      );
      const acked = outcomes.filter((op) => op === GatewayOp.SEND_ACK).length;
      const limited = outcomes.filter((op) => op === GatewayOp.ERROR).length;
      expect(acked + limited).toBe(frames.length);
      expect(acked).toBeGreaterThanOrEqual(MAX_SENDS_IN_FLIGHT);
      expect(limited).toBeGreaterThan(0);
      expect((await logOf(bob, groupId)).length).toBe(acked);
    });
  });
});
