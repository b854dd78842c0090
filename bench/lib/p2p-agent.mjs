/**
 * One Volly device for the p2p benchmark (bench/workloads/p2p.mjs), run inside a network namespace:
 * reads JSON commands on stdin, one a line (`{id, cmd, …}`), and answers each with one JSON line on
 * stdout (`{id, ok: true, …}` or `{id, ok: false, error}`). Progress and errors go to stderr.
 *
 * Times are CLOCK_MONOTONIC in ms (`process.hrtime`): one clock for every process on the machine,
 * whatever their network namespace, so a receiver subtracts the send time written in a message.
 * A benchmark message's text is `<phase> <i> <sentAtMs> ` padded with "x" to the requested size.
 *
 * Commands:
 * - `open {dir, serverUrl, handle, create, direct, lan}`: creates (bot account) or unlocks the
 *   profile in `dir` and connects; `direct`: with werift direct paths, `lan`: with LAN discovery.
 * - `close`: closes the client.
 * - `dm {peer}`: the direct conversation with `@peer` (created if needed) → `{conversationId}`.
 * - `has {conversationId}`: whether this device has the conversation → `{has}`.
 * - `offer {conversationId}`: `client.direct.offer`.
 * - `peers`: `client.direct.peers()` → `{peers}`.
 * - `counts`: `client.direct.counts()` → `{counts}`.
 * - `pace {conversationId, phase, n, size, intervalMs}`: sends n messages one at a time
 *   (`messaging.send`, answered once the server stored it), starting one at most every intervalMs.
 * - `burst {conversationId, phase, n, size}`: queues n messages as fast as the outbox takes them
 *   (`messaging.enqueue`) → `{startedAt, queuedAt}`.
 * - `collect {phase, n, timeoutMs}`: waits until n messages of `phase` were received → for each
 *   `{i, sentAt, receivedAt, direct}` (direct: stored from a direct path, without the log's seq).
 */
import { createInterface } from "node:readline";
import { initNodeProfile, openNodeClient, startLanTransport, weriftPeerFactory } from "@volly/client/node";

const PIN = "123456";
const KDF = { memoryKiB: 1024, iterations: 1 };

/** ms on CLOCK_MONOTONIC, shared by the processes of the machine. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

let client;
/** phase → received entries. */
const received = new Map();
const waiters = new Set();

function onReceived(rec) {
  const at = now();
  if (rec.direction !== "in" || rec.body?.type !== "text") return;
  const m = /^(\S+) (\d+) (\d+(?:\.\d+)?) /.exec(rec.body.text);
  if (!m) return;
  const [, phase, i, sentAt] = m;
  const list = received.get(phase) ?? [];
  received.set(phase, list);
  list.push({ i: Number(i), sentAt: Number(sentAt), receivedAt: at, direct: rec.seq === undefined });
  for (const w of waiters) w();
}

function text(phase, i, size) {
  const head = `${phase} ${i} ${now().toFixed(3)} `;
  return head.length >= size ? head : head + "x".repeat(size - head.length);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const commands = {
  async open({ dir, serverUrl, handle, create, direct, lan }) {
    const options = { initialBackoffMs: 50, maxBackoffMs: 500 };
    if (direct) {
      options.direct = { peers: weriftPeerFactory(), ...(lan ? { lan: await startLanTransport() } : {}) };
    }
    client = create
      ? await initNodeProfile(dir, { serverUrl, handle, pin: PIN, kdf: KDF, entityType: "bot" }, options)
      : await openNodeClient(dir, PIN, options);
    client.messaging.received.add(onReceived);
    await client.connect();
    return { deviceId: client.profile.deviceId };
  },
  async close() {
    await client?.close();
    client = undefined;
    return {};
  },
  async dm({ peer }) {
    return { conversationId: (await client.resolveConversation(`@${peer}`)).id };
  },
  async has({ conversationId }) {
    const list = await client.conversations.list();
    return { has: list.some((c) => c.id === conversationId) };
  },
  async offer({ conversationId }) {
    await client.direct.offer(conversationId);
    return {};
  },
  async peers() {
    return { peers: client.direct.peers() };
  },
  async counts() {
    return { counts: client.direct.counts() };
  },
  async pace({ conversationId, phase, n, size, intervalMs }) {
    for (let i = 0; i < n; i++) {
      const started = now();
      await client.messaging.send(conversationId, text(phase, i, size));
      const wait = started + intervalMs - now();
      if (wait > 0) await sleep(wait);
    }
    return {};
  },
  async burst({ conversationId, phase, n, size }) {
    const startedAt = now();
    for (let i = 0; i < n; i++) await client.messaging.enqueue(conversationId, text(phase, i, size));
    return { startedAt, queuedAt: now() };
  },
  async collect({ phase, n, timeoutMs }) {
    const done = () => (received.get(phase)?.length ?? 0) >= n;
    if (!done()) {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`received ${received.get(phase)?.length ?? 0} of ${n} "${phase}" messages`));
        }, timeoutMs);
        const check = () => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    }
    return { messages: received.get(phase) };
  },
};

const lines = createInterface({ input: process.stdin });
let chain = Promise.resolve();
lines.on("line", (line) => {
  if (!line.trim()) return;
  chain = chain.then(async () => {
    let msg;
    try {
      msg = JSON.parse(line);
      const fn = commands[msg.cmd];
      if (!fn) throw new Error(`unknown command ${msg.cmd}`);
      const out = await fn(msg);
      process.stdout.write(`${JSON.stringify({ id: msg.id, ok: true, ...out })}\n`);
    } catch (err) {
      console.error(err);
      process.stdout.write(
        `${JSON.stringify({ id: msg?.id, ok: false, error: String(err?.message ?? err) })}\n`,
      );
    }
  });
});
lines.on("close", () => {
  void chain.then(async () => {
    await client?.close().catch(() => {});
    process.exit(0);
  });
});
