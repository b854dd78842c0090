import type { ReceivedCallSignal, VollyClient } from "@volly/client";
import { restApi } from "@volly/client/testing";
import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOnce } from "../../packages/server/test/helpers/postgres.js";
import { waitFor } from "../helpers/wait-for.js";
import { clusterClient, rotated } from "./helpers/clients.js";
import { type Cluster, POSTGRES, REDIS_SERVER, startCluster } from "./helpers/cluster.js";
import { scratchDir } from "./helpers/node-process.js";

/** Records the ciphertext of every ephemeral relay `client` posts (its REST client, wrapped). */
function ephemeralCiphertexts(client: VollyClient): string[] {
  const api = restApi(client);
  const sent: string[] = [];
  const call = api.call.bind(api);
  api.call = ((route, options) => {
    const ciphertext = (options as { body?: { ciphertext?: unknown } } | undefined)?.body?.ciphertext;
    if (route === "sendEphemeral" && typeof ciphertext === "string") sent.push(ciphertext);
    return call(route, options);
  }) as typeof api.call;
  return sent;
}

/**
 * Call signaling across two real `volly serve` processes sharing PostgreSQL and Redis: alice is
 * connected to node 1, bob to node 2; the ring alice relays through node 1 reaches bob through the
 * bus (Redis), bob's answer reaches alice the other way, and no relayed ciphertext is in the log.
 */
describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "call signaling on 2 `volly serve` processes over PostgreSQL + Redis",
  () => {
    let cluster: Cluster;
    const clients: VollyClient[] = [];
    beforeAll(async () => {
      cluster = await startCluster(2);
    }, 120_000);
    afterAll(async () => {
      for (const c of clients.splice(0)) await c.close().catch(() => undefined);
      await cluster?.close();
    });

    it("a ring through node 1 reaches the callee on node 2, the answer comes back, no relayed ciphertext is stored", async () => {
      const urls = cluster.nodes.map((n) => n.url);
      const home = scratchDir("volly-call-signaling-nodes-");
      const alice = await clusterClient(home, "alice", rotated(urls, 0));
      const bob = await clusterClient(home, "bob", rotated(urls, 1));
      clients.push(alice, bob);
      await Promise.all([alice.connect(), bob.connect()]);
      const conv = (await alice.resolveConversation("@bob")).id;
      const hello = await alice.sendText("@bob", "hello");
      await waitFor(async () => (await bob.messaging.history(conv, 10)).some((m) => m.id === hello.id), {
        message: "bob reads the conversation",
      });
      const atAlice: ReceivedCallSignal[] = [];
      const atBob: ReceivedCallSignal[] = [];
      alice.calls.signaling.signals.add((s) => atAlice.push(s));
      bob.calls.signaling.signals.add((s) => atBob.push(s));
      const relays = [ephemeralCiphertexts(alice), ephemeralCiphertexts(bob)];

      const callId = newId();
      await alice.calls.signaling.send(conv, { type: "call.ring", callId, media: "video" });
      await waitFor(() => atBob.some((s) => s.signal.type === "call.ring"), {
        message: "the ring at bob on node 2",
      });
      await bob.calls.signaling.send(conv, { type: "call.accept", callId });
      await bob.calls.signaling.send(conv, {
        type: "call.sdp",
        callId,
        toDevice: alice.profile.deviceId,
        description: { type: "answer", sdp: "v=0\r\ns=volly-nodes-marker\r\n" },
      });
      await waitFor(() => atAlice.length === 2, { message: "the accept and the answer at alice on node 1" });
      expect(atAlice.map((s) => s.signal.type)).toEqual(["call.accept", "call.sdp"]);
      expect(atBob[0]).toMatchObject({
        fromAccountId: alice.profile.accountId,
        signal: { callId, media: "video" },
      });

      const relayed = relays.flat();
      expect(relayed).toHaveLength(3);
      const stored = await queryOnce<{ n: string }>(
        cluster.database.url,
        "SELECT count(*) AS n FROM group_log WHERE payload = ANY($1)",
        [relayed],
      );
      expect(Number(stored[0]?.n)).toBe(0);
    }, 120_000);
  },
);
