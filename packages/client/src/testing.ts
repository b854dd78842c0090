/**
 * `@volly/client/testing`: the few internals tests need to reach states a user cannot produce
 * through the public surface — a group state lost or corrupted on disk, content no client would
 * send, a network drop, REST routes the SDK does not expose, a client's MLS group state and the
 * gateway's raw dispatches, the store's record-format version — and the transport classes, to
 * drive a server without a profile. Not for applications: nothing here is stable, and each
 * function says what it breaks or reveals. Kept small on purpose; `@volly/client` is the SDK's
 * public surface.
 */
import type { MlsGroup } from "@volly/crypto";
import type { ApplicationContent } from "@volly/protocol";
import { toBase64Url } from "@volly/protocol";
import type { MessageRecord } from "./messaging/message-records.js";
import { RECORD_KEYS } from "./storage/store-keys.js";
import {
  type Dispatch,
  type GatewayConnectionOptions,
  GatewayConnectionService,
} from "./transport/gateway-connection.js";
import type { GatewayConnection } from "./transport/gateway-connection-api.js";
import type { HttpApi } from "./transport/http-api.js";
import { clientInternals, type VollyClient } from "./volly-client.js";

export type { DeviceCredentials } from "./transport/auth-session.js";
// ACK_COALESCE_MS: a load generator that acks as the SDK does reads the SDK's window here
export {
  ACK_COALESCE_MS,
  type Dispatch,
  type GatewayConnectionOptions,
} from "./transport/gateway-connection.js";
export {
  type BodyOf,
  type CallOptions,
  HttpApi,
  type ParamsOf,
  type ResponseOf,
  type RouteName,
  type Routes,
} from "./transport/http-api.js";

/** The record-format version stored in the client's profile (see `storage/migrations/`). */
export async function storeSchemaVersion(client: VollyClient): Promise<number> {
  return (await clientInternals(client).ctx.stores.schemaVersion.get()) ?? 0;
}

/**
 * Damages this device's stored MLS group state of a conversation, as a lost or corrupted disk
 * would: `"delete"` removes it, `"garble"` replaces it with bytes that do not decode. The next entry
 * of the group makes the client rejoin by external commit (RFC 9420 §12.4.3.2).
 */
export async function damageGroupState(
  client: VollyClient,
  conversationId: string,
  how: "delete" | "garble",
): Promise<void> {
  const { ctx, queue } = clientInternals(client);
  const { stores } = ctx;
  await queue.run(conversationId, async () => {
    const batch = stores.batch();
    if (how === "delete") stores.groupStates.delete(batch, conversationId);
    else stores.groupStates.putEncoded(batch, conversationId, toBase64Url(new Uint8Array([1, 2, 3, 4])));
    await batch.commit();
  });
}

/**
 * A snapshot of this device's MLS group state of a conversation (read it with `groupEpoch`,
 * `groupMembers`, `encodeGroup` of @volly/crypto; never process or commit with it). Throws
 * VOLLY_E_UNKNOWN_CONVERSATION (no state: unknown or left), VOLLY_E_DECRYPT_FAILED (unreadable).
 */
export function groupState(client: VollyClient, conversationId: string): Promise<MlsGroup> {
  return clientInternals(client).conversations.loadGroup(conversationId);
}

/**
 * Encrypts `content` as it is — even content the schema refuses — into a conversation through the
 * client's own outbox and queue, and sends it: what a buggy or malicious member device could send.
 * Resolves once the server stored it (or it stays queued when the server cannot be reached).
 */
export async function sendRawContent(
  client: VollyClient,
  conversationId: string,
  content: unknown,
): Promise<void> {
  const { outbox } = clientInternals(client);
  await outbox.add(conversationId, content as ApplicationContent);
  await outbox.flush();
}

/**
 * Drops the client's gateway socket as a network failure would: the connection reconnects with its
 * backoff and resumes (the server redelivers what was not acknowledged).
 */
export function dropConnection(client: VollyClient): void {
  clientInternals(client).connection.drop();
}

/**
 * Calls `observer` with every gateway dispatch the client receives, just before the client
 * processes it (e.g. to time a WELCOME). `observer` must not throw; it cannot change the dispatch.
 */
export function observeDispatches(client: VollyClient, observer: (dispatch: Dispatch) => void): void {
  const { sync } = clientInternals(client);
  const handle = sync.handle.bind(sync);
  sync.handle = (dispatch) => {
    observer(dispatch);
    return handle(dispatch);
  };
}

/**
 * Records, from now on, the conversations whose newest messages the client reads from its store
 * (`MessageStore.recent`: history pages, read marks, list summaries), in call order, until
 * `stop()`: to see which work a client repeats. Reads are unchanged.
 */
export function recordHistoryReads(client: VollyClient): { conversationIds: string[]; stop(): void } {
  const { messages } = clientInternals(client).ctx.stores;
  const recent = messages.recent.bind(messages);
  const conversationIds: string[] = [];
  messages.recent = (conversationId, ...rest) => {
    conversationIds.push(conversationId);
    return recent(conversationId, ...rest);
  };
  return {
    conversationIds,
    stop: () => {
      messages.recent = recent;
    },
  };
}

/**
 * The client's REST client (`HttpApi`, signed in as its device): for routes the SDK does not expose
 * (claiming or counting key packages, a group's member list on the server, a device link's status)
 * and to observe or wrap the calls the client makes. Calls go out exactly as the client's own.
 */
export function restApi(client: VollyClient): HttpApi {
  return clientInternals(client).ctx.api;
}

/**
 * A gateway connection of its own, outside any client (e.g. to watch failover between URLs):
 * nothing handles its dispatches but `options.onDispatch`, and it is never acknowledged.
 */
export function createGatewayConnection(options: GatewayConnectionOptions): GatewayConnection {
  return new GatewayConnectionService(options);
}

/**
 * Resolves once the client's channel-history sharing decided so far has ended (bundles handed to
 * the outbox, or nothing to share): lets a test assert that a member device shared nothing without
 * waiting a fixed time. Turns that wait for an earlier sharer are not waited for.
 */
export function historySharingIdle(client: VollyClient): Promise<void> {
  return clientInternals(client).channelHistory.idle();
}

/**
 * Stores message records as if they had been received (through the message store, so the search
 * index follows them), without MLS or a server: for the search benchmark's 100,000 messages. The
 * records are written in batches of `batchSize` (default 1,000), each batch atomically.
 */
export async function storeMessageRecords(
  client: VollyClient,
  records: readonly MessageRecord[],
  batchSize = 1000,
): Promise<void> {
  const { stores } = clientInternals(client).ctx;
  for (let i = 0; i < records.length; i += batchSize) {
    const batch = stores.batch();
    for (const record of records.slice(i, i + batchSize)) stores.messages.put(batch, record);
    await batch.commit();
  }
}

/**
 * The client's search index, built or loaded now if it was not (what the first search does), and
 * its size: how many messages it holds and how many bytes its sealed snapshot takes in the store
 * (0 when none was saved). With `save`, the snapshot is saved first (as closing the client does).
 */
export async function searchIndexStats(
  client: VollyClient,
  save = false,
): Promise<{ documents: number; snapshotBytes: number }> {
  const { search, ctx } = clientInternals(client);
  const index = await search.ready();
  if (save) await search.save();
  const raw = await ctx.stores.clientStore.get(RECORD_KEYS.searchIndex);
  return { documents: index.size, snapshotBytes: raw?.byteLength ?? 0 };
}

/**
 * Sends raw text over `client`'s open direct path to `deviceId`, as a misbehaving member device
 * would (no schema, no checks). False when no path to it is open.
 */
export function sendRawDirectFrame(client: VollyClient, deviceId: string, text: string): boolean {
  return clientInternals(client).direct.sendRawForTest(deviceId, text);
}
