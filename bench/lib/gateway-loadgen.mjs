/**
 * A load-generator child process for idle gateway connections (bench/workloads/connections.mjs
 * forks several, because one process is bounded by its file-descriptor limit and, per source
 * address, by the ephemeral port range). Talks to its parent over IPC:
 *
 *   {type: "register", url, prefix, count, concurrency} → {type: "registered", count, ms}
 *     registers `count` accounts (one device each, Ed25519 keys from node:crypto) over REST;
 *   {type: "connect", url, count, localAddress, concurrency} → {type: "connected", ok, failed, ms, error?}
 *     opens gateway connections for the first `count` devices: HELLO → signed IDENTIFY → READY →
 *     SYNCED, then stays idle, answering with a HEARTBEAT every heartbeatIntervalMs;
 *   {type: "close"} → {type: "closed"}: closes every connection;
 *   {type: "usage"} → {type: "usage", cpuMs, rss, open}: its own CPU time and RSS, connections open.
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { GatewayOp, signingInput } from "@volly/protocol";
import WebSocket from "ws";

/** @type {{handle: string, deviceId: string, privateKey: import("node:crypto").KeyObject}[]} */
const devices = [];
/** @type {Set<{ws: WebSocket, timer?: NodeJS.Timeout}>} */
const open = new Set();
let heartbeatIntervalMs = 0;

const send = (message) => process.send?.(message);

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
async function pool(count, concurrency, task) {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

async function register({ url, prefix, count, concurrency }) {
  const start = performance.now();
  const base = devices.length;
  await pool(count, concurrency, async (i) => {
    const handle = `${prefix}${base + i}`;
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const key = publicKey.export({ format: "jwk" }).x;
    const signature = sign(null, signingInput.register(handle, key), privateKey).toString("base64url");
    const res = await fetch(new URL("/v1/accounts", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        handle,
        entityType: "bot",
        device: { signaturePublicKey: key, name: "loadgen" },
        signature,
      }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`register ${handle}: ${res.status} ${JSON.stringify(body)}`);
    devices[base + i] = { handle, deviceId: body.deviceId, privateKey };
  });
  return { type: "registered", count, ms: performance.now() - start };
}

/** One gateway connection: resolves once SYNCED arrived (the connection is then idle). */
function connectOne(url, device, localAddress) {
  const wsUrl = new URL("/v1/gateway", url);
  wsUrl.protocol = "ws:";
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
  const entry = { ws, timer: undefined };
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      if (err) {
        clearInterval(entry.timer);
        ws.terminate();
        reject(err);
      } else {
        open.add(entry);
        resolve();
      }
    };
    ws.on("error", (err) => finish(err));
    ws.on("close", (code) => {
      clearInterval(entry.timer);
      open.delete(entry);
      finish(new Error(`closed with ${code} before SYNCED`));
    });
    ws.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith('{"op":0,')) {
        if (text.includes('"t":"SYNCED"')) finish();
        return;
      }
      const frame = JSON.parse(text);
      if (frame.op === GatewayOp.HELLO) {
        heartbeatIntervalMs = frame.d.heartbeatIntervalMs;
        entry.timer = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) ws.send(`{"op":${GatewayOp.HEARTBEAT},"d":null}`);
        }, heartbeatIntervalMs);
        const signature = sign(null, signingInput.identify(frame.d.nonce), device.privateKey).toString(
          "base64url",
        );
        ws.send(
          JSON.stringify({
            op: GatewayOp.IDENTIFY,
            d: { deviceId: device.deviceId, signature, protocolVersion: frame.d.protocolVersion },
          }),
        );
      } else if (frame.op === GatewayOp.ERROR || frame.op === GatewayOp.INVALID_SESSION) {
        finish(new Error(`gateway refused ${device.handle}: ${text}`));
      }
    });
  });
}

async function connect({ url, count, localAddress, concurrency }) {
  if (count > devices.length) throw new Error(`only ${devices.length} devices registered, ${count} asked`);
  const start = performance.now();
  let ok = 0;
  let failed = 0;
  let error;
  await pool(count, concurrency, async (i) => {
    try {
      await connectOne(url, devices[i], localAddress);
      ok++;
    } catch (err) {
      failed++;
      error ??= String(err?.message ?? err);
    }
  });
  return { type: "connected", ok, failed, ms: performance.now() - start, heartbeatIntervalMs, error };
}

async function closeAll() {
  const closing = [...open].map(
    ({ ws, timer }) =>
      new Promise((resolve) => {
        clearInterval(timer);
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once("close", resolve);
        ws.close(1000);
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 5_000).unref();
      }),
  );
  await Promise.all(closing);
  open.clear();
  return { type: "closed" };
}

process.on("message", (message) => {
  const handlers = {
    register,
    connect,
    close: closeAll,
    usage: async () => {
      const u = process.resourceUsage();
      return {
        type: "usage",
        cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000,
        rss: process.memoryUsage.rss(),
        open: open.size,
      };
    },
  };
  const handler = handlers[message.type];
  if (!handler) return send({ type: "error", error: `unknown message ${message.type}` });
  handler(message).then(send, (err) => send({ type: "error", error: String(err?.stack ?? err) }));
});
process.on("disconnect", () => process.exit(0));
