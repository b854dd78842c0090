import { join } from "node:path";
import type { WebSocketLike } from "@volly/client";
import { initNodeProfile, nodeSocketFactory } from "@volly/client/node";
import { GatewayOp } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, TEST_KDF, texts, useTestServer } from "./helpers.js";

/** The real `ws` socket, with every frame the client writes recorded (and an optional hook). */
function recordingSockets(onSend?: (text: string, socket: WebSocketLike) => void) {
  const sent: string[] = [];
  const createSocket = (url: string): WebSocketLike => {
    const socket = nodeSocketFactory(url);
    const send = socket.send.bind(socket);
    socket.send = (data: string) => {
      sent.push(data);
      send(data);
      onSend?.(data, socket);
    };
    return socket;
  };
  const sendFrames = () =>
    sent
      .map((t) => JSON.parse(t) as { op: number; d: { messageId?: string } })
      .filter((f) => f.op === GatewayOp.SEND);
  return { createSocket, sendFrames };
}

describe("sending over the gateway", () => {
  const bed = useTestServer();

  const aliceWith = async (createSocket: (url: string) => WebSocketLike, sendTimeoutMs?: number) => {
    const alice = await initNodeProfile(
      join(bed.home, "alice"),
      { serverUrl: bed.server.url, handle: "alice", pin: "123456", kdf: TEST_KDF },
      { initialBackoffMs: 50, maxBackoffMs: 300, createSocket, ...(sendTimeoutMs ? { sendTimeoutMs } : {}) },
    );
    bed.track(alice);
    await alice.connect();
    return alice;
  };

  it("a connected client sends over its WebSocket (SEND); a message too large for one frame goes over REST", async () => {
    const [bob] = await bed.clients("bob");
    const recording = recordingSockets();
    const alice = await aliceWith(recording.createSocket);
    const conv = await alice.resolveConversation("@bob");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    const bobInbox = inbox(bob!);

    const small = await alice.messaging.send(conv.id, "over the gateway");
    expect(small.status).not.toBe("pending");
    expect(recording.sendFrames().map((f) => f.d.messageId)).toContain(small.id);

    const large = await alice.messaging.send(conv.id, "x".repeat(60_000));
    expect(large.status).not.toBe("pending");
    expect(recording.sendFrames().map((f) => f.d.messageId)).not.toContain(large.id);

    await waitFor(() => bobInbox.length === 2, { message: "bob receives both" });
    expect(await texts(bob!, conv.id)).toEqual(["over the gateway", "x".repeat(60_000)]);
  });

  it("a SEND whose connection drops before the answer is sent again over REST and arrives once", async () => {
    const [bob] = await bed.clients("bob");
    let dropNext = false;
    const recording = recordingSockets((text, socket) => {
      if (dropNext && text.startsWith(`{"op":${GatewayOp.SEND},`)) {
        dropNext = false;
        // The frame is on its way; the answer will never arrive on this socket.
        socket.close(4999, "dropped by test");
      }
    });
    const alice = await aliceWith(recording.createSocket);
    const conv = await alice.resolveConversation("@bob");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    const bobInbox = inbox(bob!);

    dropNext = true;
    const sent = await alice.messaging.send(conv.id, "dropped in flight");
    expect(sent.status).not.toBe("pending");
    expect(recording.sendFrames().map((f) => f.d.messageId)).toContain(sent.id);
    await waitFor(() => bobInbox.length === 1, { message: "bob receives it" });
    await alice.messaging.send(conv.id, "and the next one");
    await waitFor(() => bobInbox.length === 2, { message: "bob receives the next" });
    await new Promise((r) => setTimeout(r, 300));
    expect(await texts(bob!, conv.id)).toEqual(["dropped in flight", "and the next one"]);
  });

  it("a SEND the server never answers is given up after the timeout and sent over REST, once", async () => {
    const [bob] = await bed.clients("bob");
    const swallowed: string[] = [];
    const createSocket = (url: string): WebSocketLike => {
      const socket = nodeSocketFactory(url);
      const send = socket.send.bind(socket);
      socket.send = (data: string) => {
        // The first SEND is lost on the way (the socket stays open): no answer will come.
        if (swallowed.length === 0 && data.startsWith(`{"op":${GatewayOp.SEND},`)) swallowed.push(data);
        else send(data);
      };
      return socket;
    };
    const alice = await aliceWith(createSocket, 400);
    const conv = await alice.resolveConversation("@bob");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    const bobInbox = inbox(bob!);
    const sent = await alice.messaging.send(conv.id, "the answer never came");
    expect(sent.status).not.toBe("pending");
    expect(swallowed).toHaveLength(1);
    expect(swallowed[0]).toContain(sent.id);
    await waitFor(() => bobInbox.length === 1, { message: "bob receives it" });
    await new Promise((r) => setTimeout(r, 300));
    expect(await texts(bob!, conv.id)).toEqual(["the answer never came"]);
  });
});
