/**
 * group-state: what one application message costs a client in a big group, including the durable
 * write of the new MLS state through the real client storage (sealed records in a SQLite file,
 * synchronous=FULL), at 50, 500 and 2,000 devices.
 *
 *   node bench/workloads/group-state.mjs [--sizes 50,500,2000] [--messages 40] [--quick]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encryptApplication, loadSuite, processMessage } from "@volly/crypto";
import { newId, toBase64Url, utf8 } from "@volly/protocol";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { buildGroup } from "../lib/mls-groups.mjs";
import { percentile } from "../lib/stats.mjs";

export const description =
  "Client time of one 1 KiB application message in a group of N devices (default suite X-Wing), " +
  "measured the way the SDK does it: the send loads the conversation's group state from the profile " +
  "store, encrypts, and commits the new state with the outbox entry and the message record in one " +
  "sealed batch; the receive loads, decrypts and commits the new state with the conversation and " +
  "message records. The store is the Node client store (better-sqlite3, WAL, synchronous=FULL, records " +
  "sealed with XChaCha20-Poly1305 under the profile key). The groups are built in-process: the creator " +
  "adds everyone in commits of up to 500 Adds and the receiver joins from the last Welcome; medians " +
  "over the messages after a few warm-up ones, sends and receives alternating.";

export const units = {
  sendMs: "ms",
  sendP95Ms: "ms",
  receiveMs: "ms",
  receiveP95Ms: "ms",
  loadMs: "ms",
  writeMs: "ms",
  bytesWrittenPerSend: "bytes",
  stateBytes: "bytes",
  commitWriteMs: "ms",
  coldLoadMs: "ms",
  setupS: "s",
};

export const targets = [
  {
    scenario: "2000 devices",
    metric: "sendMs",
    op: "<=",
    value: 10,
    label: "a send in a 2,000-device group costs ≤ 10 ms of client time, durable write included",
  },
  {
    scenario: "2000 devices",
    metric: "receiveMs",
    op: "<=",
    value: 10,
    label: "a receive in a 2,000-device group costs ≤ 10 ms of client time, durable write included",
  },
];

export const defaultRuns = 1;

const round = (v) => Math.round(v * 100) / 100;
const median = (xs) => percentile(xs, 50);
const since = (t) => performance.now() - t;

/** The client's storage modules, from the built @volly/client next to the @volly/crypto in use. */
async function clientStorage() {
  const base = import.meta.resolve("@volly/client");
  const load = (path) => import(new URL(path, base).href);
  const [{ SqliteClientStore }, { Vault }, { Stores }] = await Promise.all([
    load("./storage/sqlite-client-store.js"),
    load("./storage/vault.js"),
    load("./storage/stores.js"),
  ]);
  return (file, key) => new Stores(new Vault(new SqliteClientStore(file), key));
}

/** Counts the bytes each commit hands to the store (values and message rows). */
function meter(stores) {
  const store = stores.clientStore;
  const commit = store.commit.bind(store);
  const m = { bytes: 0 };
  store.commit = (batch) => {
    for (const p of batch.puts ?? []) m.bytes += p.value.length;
    for (const r of batch.messages ?? []) m.bytes += r.data.length;
    return commit(batch);
  };
  return m;
}

function messageRecord(conversationId, id, direction, now) {
  return {
    id,
    conversationId,
    from: "someone",
    fromDeviceId: "dev",
    direction,
    body: { kind: "text", text: "x".repeat(1000) },
    sentAt: now,
    receivedAt: now,
    status: direction === "out" ? "pending" : "received",
  };
}

async function measure(suite, openStores, dir, size, messages) {
  const t0 = performance.now();
  const { creator, receiver } = await buildGroup(suite, size);
  const setupS = since(t0) / 1000;
  const conversationId = newId();
  const key = crypto.getRandomValues(new Uint8Array(32));
  const sender = openStores(join(dir, `sender-${size}.db`), key);
  const recv = openStores(join(dir, `receiver-${size}.db`), key);
  const conv = { id: conversationId, lastSeq: 0 };
  let t = performance.now();
  await sender.groupStates.put(sender.batch(), conversationId, creator).commit();
  const commitWriteMs = since(t);
  await recv.groupStates.put(recv.batch(), conversationId, receiver).commit();
  const stateBytes = (await sender.clientStore.list("")).reduce((n, [, v]) => n + v.length, 0);
  const sent = meter(sender);

  const sends = [];
  const receives = [];
  const loads = [];
  const writes = [];
  const bytes = [];
  const plaintext = utf8(JSON.stringify({ text: "x".repeat(1000) }));
  const warmUp = Math.min(5, Math.floor(messages / 4));
  for (let i = 0; i < messages + warmUp; i++) {
    const id = newId();
    // send: load, encrypt, one batch with the new state, the outbox entry and the message
    sent.bytes = 0;
    t = performance.now();
    const group = await sender.groupStates.load(conversationId);
    const loadMs = since(t);
    const { newGroup, ciphertext } = await encryptApplication(suite, group, plaintext);
    const tw = performance.now();
    const batch = sender.outbox.add(sender.groupStates.put(sender.batch(), conversationId, newGroup), i, {
      messageId: id,
      conversationId,
      epoch: 0,
      ciphertext: toBase64Url(ciphertext),
      queuedAt: Date.now(),
    });
    sender.messages.put(batch, messageRecord(conversationId, id, "out", Date.now()));
    await batch.commit();
    const sendMs = since(t);
    const writeMs = since(tw);
    // receive: load, decrypt, one batch with the new state, the conversation and the message
    t = performance.now();
    const rGroup = await recv.groupStates.load(conversationId);
    const processed = await processMessage(suite, rGroup, ciphertext);
    const advanced = { ...conv, lastSeq: i + 1 };
    const rBatch = recv.conversations.save(
      recv.groupStates.put(recv.batch(), conversationId, processed.newGroup),
      advanced,
    );
    recv.messages.put(rBatch, messageRecord(conversationId, id, "in", Date.now()));
    await rBatch.commit();
    const receiveMs = since(t);
    if (i < warmUp) continue;
    sends.push(sendMs);
    receives.push(receiveMs);
    loads.push(loadMs);
    writes.push(writeMs);
    bytes.push(sent.bytes);
  }
  await sender.clientStore.close();
  await recv.clientStore.close();
  // a load with nothing cached: after a restart, or for a conversation the cache let go
  const cold = openStores(join(dir, `sender-${size}.db`), key);
  t = performance.now();
  await cold.groupStates.load(conversationId);
  const coldLoadMs = since(t);
  await cold.clientStore.close();
  console.error(
    `group-state: ${size} devices (setup ${setupS.toFixed(1)} s): send ${median(sends).toFixed(2)} ms, receive ${median(receives).toFixed(2)} ms`,
  );
  return {
    sendMs: round(median(sends)),
    sendP95Ms: round(percentile(sends, 95)),
    receiveMs: round(median(receives)),
    receiveP95Ms: round(percentile(receives, 95)),
    loadMs: round(median(loads)),
    writeMs: round(median(writes)),
    bytesWrittenPerSend: Math.round(median(bytes)),
    stateBytes,
    commitWriteMs: round(commitWriteMs),
    coldLoadMs: round(coldLoadMs),
    setupS: round(setupS),
  };
}

async function run(flags) {
  const quick = flags.quick === "true";
  const sizes = (flags.sizes ?? (quick ? "50,500" : "50,500,2000")).split(",").map(Number);
  const messages = numberFlag(flags, "messages", quick ? 10 : 40);
  const suite = await loadSuite();
  const openStores = await clientStorage();
  const dir = mkdtempSync(join(tmpdir(), "volly-group-state-"));
  try {
    const scenarios = {};
    for (const size of sizes) {
      scenarios[`${size} devices`] = await measure(suite, openStores, dir, size, messages);
    }
    return {
      scenarios,
      notes: [
        "sendMs/receiveMs are client time per message from loading the group state to the committed " +
          "batch; loadMs is the load's share of a send, writeMs the staging and commit of the batch; " +
          "bytesWrittenPerSend counts sealed values and message rows handed to the store. " +
          "stateBytes is everything stored for the group after it was built, commitWriteMs the time " +
          "to store a whole new state (as after a commit), coldLoadMs a load with nothing cached (after a " +
          "restart). setupS (key packages, commits of up to " +
          "500 Adds, the join) is not part of the per-message figures.",
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runAsMain(import.meta.url, run);
