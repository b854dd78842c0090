import { type EntityType, GatewayOp, newId, signingInput } from "@volly/protocol";
import {
  connectIdentified,
  type Frame,
  type GatewayClient,
} from "../../../packages/server/test/helpers/gateway-client.js";
import {
  newKeys,
  registrationBody,
  signB64,
  type TestKeys,
  uniqueHandle,
} from "../../../packages/server/test/helpers/identity.js";
import { newGroupBodies, rememberDevice } from "../../../packages/server/test/helpers/mls-groups.js";
import { fakeCiphertext } from "../../../packages/server/test/helpers/services.js";

/**
 * Raw REST + gateway members of a real `volly serve` process (no SDK: the SDK retries rate-limited
 * requests itself, these show the server's answers as they are). Messages are opaque bytes; groups
 * are real MLS groups built by packages/server/test/helpers/mls-groups.ts.
 */

/** A registered account with one device and a REST session on one server. */
export interface WireMember {
  accountId: string;
  deviceId: string;
  handle: string;
  entityType: EntityType;
  keys: TestKeys;
  /** `Authorization` header value. */
  auth: { authorization: string };
}

/** One REST answer: status, headers and the parsed JSON body. */
export interface WireAnswer {
  status: number;
  headers: Headers;
  body: { code?: string; message?: string; details?: Record<string, unknown> } & Record<string, unknown>;
}

/** Sends one JSON request to `baseUrl` and returns the answer, whatever its status. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; auth?: { authorization: string } } = {},
): Promise<WireAnswer> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: {
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...options.auth,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

/** Fails with the answer's status and body unless it is 200. */
function ok(answer: WireAnswer, what: string): WireAnswer["body"] {
  if (answer.status !== 200) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * Registers an account of `entityType` through `baseUrl` and opens a REST session for its device
 * (registration, challenge and session are routes limited per IP, not per account).
 */
export async function registerWireMember(baseUrl: string, entityType: EntityType): Promise<WireMember> {
  const keys = newKeys();
  const handle = uniqueHandle(entityType);
  const registered = ok(
    await call(baseUrl, "POST", "/v1/accounts", { body: { ...registrationBody(handle, keys), entityType } }),
    "register",
  ) as { accountId: string; deviceId: string };
  const { accountId, deviceId } = registered;
  const { nonce } = ok(
    await call(baseUrl, "POST", "/v1/auth/challenge", { body: { deviceId } }),
    "challenge",
  ) as { nonce: string };
  const { token } = ok(
    await call(baseUrl, "POST", "/v1/auth/session", {
      body: { deviceId, nonce, signature: signB64(keys, signingInput.session(nonce)) },
    }),
    "session",
  ) as { token: string };
  rememberDevice({ accountId, deviceId, keys });
  return { accountId, deviceId, handle, entityType, keys, auth: { authorization: `Bearer ${token}` } };
}

/** `owner` creates a real MLS group with `members` in its first commit (two REST requests of the owner). */
export async function createWireGroup(
  baseUrl: string,
  owner: WireMember,
  members: WireMember[],
): Promise<string> {
  const groupId = newId();
  const bodies = await newGroupBodies(groupId, owner, members);
  ok(await call(baseUrl, "POST", "/v1/groups", { body: bodies.create, auth: owner.auth }), "create group");
  ok(
    await call(baseUrl, "POST", `/v1/groups/${groupId}/commits`, { body: bodies.commit, auth: owner.auth }),
    "commit",
  );
  return groupId;
}

/** Opens a gateway connection of `member` to `baseUrl`'s node, identified and synced. */
export async function connectWireMember(baseUrl: string, member: WireMember): Promise<GatewayClient> {
  const { client } = await connectIdentified(`${baseUrl.replace(/^http/, "ws")}/v1/gateway`, member);
  await client.untilSynced(15_000);
  return client;
}

/** A SEND's answer: SEND_ACK, or the ERROR frame naming its message. */
export interface SendAnswer {
  messageId: string;
  op: number;
  d: { code?: string; details?: Record<string, unknown> };
}

/** Sends one SEND of opaque bytes into `groupId` (epoch 1) and resolves with its answer. */
export async function sendOnce(client: GatewayClient, groupId: string): Promise<SendAnswer> {
  const messageId = newId();
  client.send({ op: GatewayOp.SEND, d: { groupId, messageId, epoch: 1, ciphertext: fakeCiphertext(64) } });
  const answer = await client.next(
    (f: Frame) =>
      (f.op === GatewayOp.SEND_ACK && (f.d as { messageId: string }).messageId === messageId) ||
      (f.op === GatewayOp.ERROR &&
        (f.d as { details?: { messageId?: string } }).details?.messageId === messageId),
    15_000,
  );
  return { messageId, op: answer.op, d: answer.d as SendAnswer["d"] };
}

/** The message ids of the application messages of `groupId` a client was dispatched so far. */
export function dispatchedMessageIds(client: GatewayClient, groupId: string): string[] {
  return client.received
    .filter((f) => f.t === "GROUP_MESSAGE")
    .map((f) => f.d as { groupId: string; kind: string; messageId: string })
    .filter((d) => d.groupId === groupId && d.kind === "application")
    .map((d) => d.messageId);
}

/** Sends a HEARTBEAT and waits for its ACK: the connection is open and served. */
export async function heartbeat(client: GatewayClient): Promise<void> {
  client.send({ op: GatewayOp.HEARTBEAT, d: null });
  await client.next((f) => f.op === GatewayOp.HEARTBEAT_ACK, 15_000);
}
