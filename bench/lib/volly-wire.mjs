/**
 * A minimal Volly wire client for load generation: REST over keep-alive HTTP and raw gateway
 * WebSockets, with real Ed25519 device keys and the real authentication steps (registration
 * signature, signed nonce → session token, signed IDENTIFY). Messages skip MLS: the server never
 * decrypts them, so payloads are opaque bytes and the load generator does not measure itself. Groups
 * are real MLS groups (the delivery service verifies each commit against the group's stored state).
 */
import http from "node:http";
import {
  addMembers,
  createGroup,
  generateIdentity,
  generateKeyPackage,
  groupInfoForExternalJoin,
  loadSuite,
  publicGroupState,
  sign,
} from "@volly/crypto";
import { GatewayOp, newId, signingInput, toBase64Url } from "@volly/protocol";
import WebSocket from "ws";

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * Sends one JSON request; resolves with the parsed body of a 2xx answer.
 * @throws Error with the server's error code for any other status
 */
export function request(baseUrl, method, path, { body, token } = {}) {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
            : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const parsed = text ? JSON.parse(text) : undefined;
          if (res.statusCode >= 200 && res.statusCode < 300) resolve(parsed);
          else reject(new Error(`${method} ${path}: ${res.statusCode} ${parsed?.error?.code ?? text}`));
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/**
 * Registers an account with one device and opens a REST session.
 * @returns {{handle, accountId, deviceId, privateKey, publicKey, token, baseUrl}}
 */
export async function registerMember(baseUrl, handle) {
  const { signaturePublicKey, signaturePrivateKey: privateKey } = generateIdentity();
  const publicKey = toBase64Url(signaturePublicKey);
  const signB64 = (bytes) => toBase64Url(sign(privateKey, bytes));
  const account = await request(baseUrl, "POST", "/v1/accounts", {
    body: {
      handle,
      entityType: "bot",
      device: { signaturePublicKey: publicKey, name: "loadgen" },
      signature: signB64(signingInput.register(handle, publicKey)),
    },
  });
  const { nonce } = await request(baseUrl, "POST", "/v1/auth/challenge", {
    body: { deviceId: account.deviceId },
  });
  const session = await request(baseUrl, "POST", "/v1/auth/session", {
    body: { deviceId: account.deviceId, nonce, signature: signB64(signingInput.session(nonce)) },
  });
  return { handle, ...account, privateKey, publicKey: signaturePublicKey, token: session.token, baseUrl };
}

let suite;

/** A real key package of `member` (its registered Ed25519 key signs the leaf). */
async function keyPackageOf(member) {
  suite ??= await loadSuite();
  const identity = {
    signaturePrivateKey: member.privateKey,
    signaturePublicKey: member.publicKey,
  };
  return generateKeyPackage(suite, identity, { accountId: member.accountId, deviceId: member.deviceId });
}

/**
 * Builds, as the SDK does, the requests that create a real MLS group owned by `owner` (its epoch-0
 * GroupInfo and tree) and add `others` with one commit (one Welcome; the next epoch's tree and
 * GroupInfo attached). Nothing is sent.
 * @returns {{groupId, create, commit}} the bodies of POST /v1/groups and of the commit at epoch 0
 */
export async function buildGroupBodies(owner, others) {
  const groupId = newId();
  suite ??= await loadSuite();
  const group = await createGroup(suite, groupId, await keyPackageOf(owner));
  const initial = await publicGroupState(suite, group);
  const keyPackages = [];
  for (const m of others) keyPackages.push((await keyPackageOf(m)).keyPackage);
  const added = await addMembers(suite, group, keyPackages);
  return {
    groupId,
    create: {
      groupId,
      groupInfo: toBase64Url(initial.groupInfo),
      ratchetTree: toBase64Url(initial.ratchetTree),
    },
    commit: {
      epoch: 0,
      commit: toBase64Url(added.commit),
      addDeviceIds: others.map((m) => m.deviceId),
      removeDeviceIds: [],
      welcome: toBase64Url(added.welcome),
      ratchetTree: toBase64Url(added.ratchetTree),
      groupInfo: toBase64Url(await groupInfoForExternalJoin(suite, added.newGroup)),
    },
  };
}

/**
 * Creates a real MLS group owned by `owner` and adds `others` with one commit (see
 * {@link buildGroupBodies}). Resolves with the group id; the group is then at epoch 1.
 */
export async function createGroupWith(owner, others) {
  const { groupId, create, commit } = await buildGroupBodies(owner, others);
  await request(owner.baseUrl, "POST", "/v1/groups", { token: owner.token, body: create });
  await request(owner.baseUrl, "POST", `/v1/groups/${groupId}/commits`, { token: owner.token, body: commit });
  return groupId;
}

const DISPATCH_PREFIX = Buffer.from('{"op":0,"s":');

/** True when `data` (a frame's bytes) starts like every dispatch the server writes. */
function isDispatch(data) {
  return (
    data.length > DISPATCH_PREFIX.length &&
    data.compare(DISPATCH_PREFIX, 0, DISPATCH_PREFIX.length, 0, DISPATCH_PREFIX.length) === 0
  );
}

/** The `s` of a dispatch frame's bytes `{"op":0,"s":N,…`. */
function seqOf(data) {
  let n = 0;
  for (let i = DISPATCH_PREFIX.length; i < data.length; i++) {
    const c = data[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/**
 * Opens an authenticated gateway connection for `member`: HELLO → IDENTIFY → READY, answering
 * heartbeats. `onDispatch(bytes)` gets every DISPATCH frame after READY as its raw bytes (a Buffer:
 * search it for what you need; the load generator must not spend its CPU parsing JSON).
 * Resolves with `{ ws, ack(cursors, welcomeIds), send(groupId, body), close() }` once READY
 * arrived; `send` resolves with the SEND_ACK's text once the server stored the message, and
 * rejects with the ERROR frame's code.
 */
export function openGateway(member, { url = member.baseUrl, onDispatch = () => {} } = {}) {
  const wsUrl = new URL("/v1/gateway", url);
  wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  let heartbeat;
  let lastSeq = null;
  /** SENDs waiting for their SEND_ACK or ERROR, by message id. */
  const sends = new Map();
  return new Promise((resolve, reject) => {
    let ready = false;
    ws.on("error", (err) => {
      if (!ready) reject(err);
    });
    ws.on("close", () => {
      clearInterval(heartbeat);
      if (!ready) reject(new Error(`gateway closed before READY for ${member.handle}`));
    });
    ws.on("message", (data) => {
      // Dispatches are the hot path: hand them over as bytes, unparsed (the server writes them as
      // {"op":0,"s":N,"t":…}); everything else is rare and parsed as JSON.
      if (ready && isDispatch(data)) {
        lastSeq = seqOf(data);
        onDispatch(data);
        return;
      }
      const text = data.toString();
      if (text.startsWith('{"op":0,')) {
        const s = /"s":(\d+)/.exec(text);
        if (s) lastSeq = Number(s[1]);
        if (!ready && text.includes('"t":"READY"')) {
          ready = true;
          resolve({
            ws,
            ack(cursors, welcomeIds = []) {
              ws.send(JSON.stringify({ op: GatewayOp.ACK, d: { cursors, welcomeIds } }));
            },
            send(groupId, body) {
              return new Promise((resolveSend, rejectSend) => {
                sends.set(body.messageId, { resolve: resolveSend, reject: rejectSend });
                ws.send(JSON.stringify({ op: GatewayOp.SEND, d: { groupId, ...body } }));
              });
            },
            close() {
              clearInterval(heartbeat);
              ws.close(1000);
            },
          });
          return;
        }
        onDispatch(data);
        return;
      }
      if (text.startsWith(`{"op":${GatewayOp.SEND_ACK},`)) {
        const at = text.indexOf('"messageId":"') + 13;
        const pending = sends.get(text.slice(at, text.indexOf('"', at)));
        sends.delete(text.slice(at, text.indexOf('"', at)));
        pending?.resolve(text);
        return;
      }
      const frame = JSON.parse(text);
      const failedSend = frame.op === GatewayOp.ERROR && sends.get(frame.d.details?.messageId);
      if (failedSend) {
        sends.delete(frame.d.details.messageId);
        failedSend.reject(new Error(`SEND: ${frame.d.code}`));
        return;
      }
      if (frame.op === GatewayOp.HELLO) {
        heartbeat = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN)
            ws.send(JSON.stringify({ op: GatewayOp.HEARTBEAT, d: lastSeq }));
        }, frame.d.heartbeatIntervalMs);
        heartbeat.unref();
        const signature = toBase64Url(sign(member.privateKey, signingInput.identify(frame.d.nonce)));
        ws.send(
          JSON.stringify({
            op: GatewayOp.IDENTIFY,
            d: { deviceId: member.deviceId, signature, protocolVersion: frame.d.protocolVersion },
          }),
        );
      } else if (frame.op === GatewayOp.ERROR || frame.op === GatewayOp.INVALID_SESSION) {
        if (!ready) reject(new Error(`gateway refused ${member.handle}: ${text}`));
      }
    });
  });
}
