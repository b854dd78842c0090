import { type MessageRecord, messageText, type VollyClient } from "@volly/client";
import { VollyError } from "@volly/protocol";
import { waitFor } from "../../helpers/wait-for.js";
import { clusterClient, collect, rotated } from "./clients.js";

/** One user of the scenario: its client, the node it prefers and what it received. */
export interface User {
  handle: string;
  client: VollyClient;
  /** Index of its preferred node (profile server URL, first of its `serverUrls`). */
  home: number;
  inbox: MessageRecord[];
}

/** A stream of `count` messages from one user into one conversation. */
export interface Stream {
  sender: User;
  conversationId: string;
  kind: "dm" | "group";
  count: number;
  /** Users who must receive every message of the stream. */
  recipients: User[];
}

/**
 * Creates `handles.length` users spread over the nodes (user i prefers node i mod N and lists every
 * node, rotated to start there), connects them, opens a direct conversation for each pair in `dms`
 * and one group of `group`, and waits until every member has joined every conversation.
 */
export async function setUp(
  home: string,
  urls: string[],
  handles: string[],
  dms: [number, number][],
  group: number[],
): Promise<{ users: User[]; dmIds: string[]; groupId: string }> {
  const users: User[] = [];
  for (const [i, handle] of handles.entries()) {
    const client = await clusterClient(home, handle, rotated(urls, i % urls.length));
    users.push({ handle, client, home: i % urls.length, inbox: collect(client) });
  }
  await Promise.all(users.map((u) => u.client.connect()));
  const has = async (u: User, id: string) =>
    u.client.conversations.get(id).then(
      () => true,
      () => false,
    );
  const dmIds: string[] = [];
  for (const [a, b] of dms) {
    const [x, y] = [users[a]!, users[b]!];
    const conv = await x.client.resolveConversation(`@${y.handle}`);
    dmIds.push(conv.id);
    await waitFor(() => has(y, conv.id), { message: `${y.handle} to join the DM`, timeoutMs: 20_000 });
  }
  const [owner, ...others] = group.map((i) => users[i]!);
  const trio = await owner!.client.conversations.createGroup(
    "trio",
    others.map((u) => u.handle),
  );
  for (const u of others)
    await waitFor(() => has(u, trio.id), { message: `${u.handle} to join the group`, timeoutMs: 20_000 });
  return { users, dmIds, groupId: trio.id };
}

/** The text of message `i` of a stream (sender, conversation, index: what the checks parse back). */
export const textOf = (stream: Stream, i: number) => `${stream.sender.handle}|${stream.conversationId}|${i}`;

/**
 * Sends every stream concurrently (one loop per stream; a sender's streams share its outbox), one
 * message every `pauseMs`. A send refused because no node answered leaves the message queued in the
 * outbox (sent later, in order) and counts as `queued`. Calls `onSent` after each message with the
 * running total, the stream and the message's index.
 */
export async function sendStreams(
  streams: Stream[],
  pauseMs: number,
  onSent: (total: number, stream: Stream, index: number) => void,
): Promise<{ sent: number; queued: number }> {
  let sent = 0;
  let queued = 0;
  await Promise.all(
    streams.map(async (stream) => {
      for (let i = 0; i < stream.count; i++) {
        try {
          await stream.sender.client.messaging.send(stream.conversationId, textOf(stream, i));
        } catch (error) {
          if (!(error instanceof VollyError) || error.code !== "VOLLY_E_SERVER_UNREACHABLE") throw error;
          queued++;
        }
        sent++;
        onSent(sent, stream, i);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
  return { sent, queued };
}

/** What a recipient got of a stream, by message index, in arrival order. */
function received(stream: Stream, recipient: User): number[] {
  const prefix = `${stream.sender.handle}|${stream.conversationId}|`;
  return recipient.inbox
    .filter((m) => (messageText(m) ?? "").startsWith(prefix))
    .map((m) => Number((messageText(m) ?? "").slice(prefix.length)));
}

/** True once every recipient of `stream` has received its message `index`. */
export function deliveredEverywhere(stream: Stream, index: number): boolean {
  return stream.recipients.every((r) => received(stream, r).includes(index));
}

/** Waits until every recipient of every stream has received all of it (or `timeoutMs`). */
export async function waitForDelivery(streams: Stream[], timeoutMs: number): Promise<void> {
  await waitFor(() => streams.every((s) => s.recipients.every((r) => received(s, r).length >= s.count)), {
    message: "every message to arrive",
    timeoutMs: timeoutMs,
  });
}

/** The outcome of a run, checked by the test and printed as its summary. */
export interface Tally {
  expected: number;
  delivered: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  undecryptable: number;
  /** Messages stored twice in some recipient's history. */
  storedTwice: number;
}

/** Counts, over every (stream, recipient), what was delivered, missing, duplicated or out of order. */
export async function tally(streams: Stream[], users: User[]): Promise<Tally> {
  const t: Tally = {
    expected: 0,
    delivered: 0,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    undecryptable: 0,
    storedTwice: 0,
  };
  for (const stream of streams) {
    for (const recipient of stream.recipients) {
      const got = received(stream, recipient);
      t.expected += stream.count;
      t.delivered += got.length;
      const distinct = new Set(got);
      t.duplicates += got.length - distinct.size;
      for (let i = 0; i < stream.count; i++) if (!distinct.has(i)) t.missing++;
      for (let i = 1; i < got.length; i++) if (got[i]! < got[i - 1]!) t.outOfOrder++;
      const history = await recipient.client.messaging.history(stream.conversationId, 10_000);
      const texts = history.filter((m) => m.direction === "in").map((m) => messageText(m));
      t.storedTwice += texts.length - new Set(texts).size;
    }
  }
  for (const user of users) {
    t.undecryptable += Object.values(await user.client.messaging.undecryptable()).reduce((a, b) => a + b, 0);
  }
  return t;
}
