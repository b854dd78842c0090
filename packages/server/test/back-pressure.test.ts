import { randomBytes } from "node:crypto";
import { newId } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { sleep } from "../../../test/helpers/wait-for.js";
import type { Frame } from "./helpers/gateway-client.js";
import { type LiveServer, useLiveServer } from "./helpers/live-server.js";
import { sample } from "./helpers/metrics.js";

/** GROUP_MESSAGE dispatches the server has written so far (volly_messages_out_total). */
async function groupMessagesOut(s: LiveServer): Promise<number> {
  const text = (await s.f.metricsApp.inject({ method: "GET", url: "/metrics" })).body;
  return sample(text, 'volly_messages_out_total{event="GROUP_MESSAGE"}');
}

describe("back-pressure: a client that stops reading", () => {
  const s = useLiveServer();

  it("is held to a few MiB of the server's memory, never stalls the others, and then gets everything once, in order", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const carol = await s.register();
    const groupId = await s.createGroup(alice, [bob, carol]);
    const { client: slow } = await s.synced(bob);
    const { client: fast } = await s.synced(carol);
    // bob's client stops reading: the kernel buffers fill, then the server's socket does.
    const tcp = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();

    const count = 150;
    const sent: { seq: number; ciphertext: string }[] = [];
    const before = await groupMessagesOut(s);
    for (let i = 0; i < count; i++) {
      // ~300 KB each: 45 MB in all, far beyond what the sockets buffer.
      const ciphertext = randomBytes(225_000).toString("base64url");
      const res = await s.f.app.inject({
        method: "POST",
        url: `/v1/groups/${groupId}/messages`,
        headers: alice.auth,
        payload: { messageId: newId(), epoch: 1, ciphertext },
      });
      expect(res.statusCode).toBe(200);
      sent.push({ seq: (res.json() as { seq: number }).seq, ciphertext });
    }
    // carol keeps receiving while bob is stuck.
    const atCarol: Frame[] = [];
    for (let i = 0; i < count; i++) atCarol.push(await fast.nextDispatch("GROUP_MESSAGE", 20_000));
    expect(atCarol.map((f) => (f.d as { seq: number }).seq)).toEqual(sent.map((m) => m.seq));
    await sleep(300);
    // What was written to bob: what his kernel buffers took, plus the 4 MiB high-water mark —
    // not the 150 messages (45 MB) he was sent.
    const toBob = (await groupMessagesOut(s)) - before - count;
    expect(toBob).toBeLessThan(70);

    tcp.resume();
    const atBob: Frame[] = [];
    for (let i = 0; i < count; i++) atBob.push(await slow.nextDispatch("GROUP_MESSAGE", 30_000));
    expect(atBob.map((f) => (f.d as { seq: number }).seq)).toEqual(sent.map((m) => m.seq));
    expect(atBob.every((f, i) => (f.d as { payload: string }).payload === sent[i]!.ciphertext)).toBe(true);
    await expect(slow.nextDispatch("GROUP_MESSAGE", 500)).rejects.toThrow(/timed out/);
  }, 120_000);
});
