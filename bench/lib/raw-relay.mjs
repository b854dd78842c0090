#!/usr/bin/env node
/**
 * The fanout benchmark's ceiling (issue 19): a plain `ws` server that forwards each message to the
 * other members of its group — no authentication, no storage, no crypto, no validation — speaking
 * just enough of the gateway's wire format for the load generator's client (`openGateway` in
 * `volly-wire.mjs`) to run unchanged: HELLO on connect, READY for any IDENTIFY, each SEND relayed
 * as a GROUP_MESSAGE dispatch (the payload as sent, a per-group seq; serialized once and sent as
 * the same bytes to every member) and answered by SEND_ACK at once. HEARTBEAT and ACK frames are ignored. A device's group is the part of its device id before
 * the last "." (the load generator names members `<groupId>.<index>`).
 *
 *   node bench/lib/raw-relay.mjs [--port 0] [--host 127.0.0.1]   (prints {"url":"http://…"})
 */
import { GatewayOp } from "@volly/protocol";
import { WebSocketServer } from "ws";
import { parseFlags } from "./main.mjs";

const flags = parseFlags(process.argv.slice(2));
const host = flags.host ?? "127.0.0.1";
const wss = new WebSocketServer({ host, port: Number(flags.port ?? 0), perMessageDeflate: false });

/** Open sockets by group id. */
const groups = new Map();
/** Last seq per group. */
const seqs = new Map();

wss.on("connection", (ws) => {
  let group;
  ws.send(
    JSON.stringify({
      op: GatewayOp.HELLO,
      d: { heartbeatIntervalMs: 30_000, nonce: "raw", protocolVersion: 1 },
    }),
  );
  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.op === GatewayOp.IDENTIFY) {
      const deviceId = String(frame.d.deviceId);
      group = deviceId.slice(0, deviceId.lastIndexOf("."));
      if (!groups.has(group)) groups.set(group, new Set());
      groups.get(group).add(ws);
      ws.send('{"op":0,"s":0,"t":"READY","d":{}}');
      return;
    }
    if (frame.op !== GatewayOp.SEND || group === undefined) return;
    const { groupId, messageId, ciphertext } = frame.d;
    const seq = (seqs.get(groupId) ?? 0) + 1;
    seqs.set(groupId, seq);
    // Serialized once and sent as the same bytes to every member (its "s" is the group's seq, not
    // the connection's: the load generator reads it only for heartbeats).
    const dispatch = Buffer.from(
      `{"op":0,"s":${seq},"t":"GROUP_MESSAGE","d":{"groupId":"${groupId}","seq":${seq},"kind":"application","messageId":"${messageId}","payload":"${ciphertext}"}}`,
    );
    for (const member of groups.get(group)) {
      if (member !== ws && member.readyState === 1) member.send(dispatch, { binary: false });
    }
    ws.send(`{"op":${GatewayOp.SEND_ACK},"d":{"messageId":"${messageId}","seq":${seq}}}`);
  });
  ws.on("close", () => groups.get(group)?.delete(ws));
});

wss.on("listening", () => {
  const { port } = wss.address();
  console.log(JSON.stringify({ url: `http://${host}:${port}` }));
});
process.on("SIGTERM", () => wss.close(() => process.exit(0)));
