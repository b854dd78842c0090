/**
 * search: local full-text search (`client.search.messages`) over 100,000 messages on one Node
 * device. A real durable SQLite profile (created against a real `volly serve`); the messages are
 * written through the SDK's sealed message store as if received (MLS is not what is measured),
 * then:
 * - cold first search: the index is built from the sealed store (every row unsealed) — the
 *   indexing rate is messages / that time;
 * - index size: the heap it adds (bytes in memory, after GC) and its sealed snapshot (bytes on
 *   disk, saved when the client closes);
 * - query latency over a mix (common and rare words, two words, prefixes, conversation / sender /
 *   link filters), each returning up to 50 hits unsealed from the store;
 * - warm first search after a restart: the snapshot is loaded instead of re-indexing.
 *
 *   node bench/workloads/search.mjs [--messages 100000] [--queries 300] [--quick]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initNodeProfile, openNodeClient } from "@volly/client/node";
import { searchIndexStats, storeMessageRecords } from "@volly/client/testing";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { startVolly } from "../lib/server.mjs";
import { percentile } from "../lib/stats.mjs";

export const description =
  "Local full-text search (MiniSearch in memory, sealed snapshot at rest) over 100,000 messages on one " +
  "Node device: indexing rate, index size in memory and on disk, cold and warm first search, query p95.";

export const units = {
  messages: "messages",
  indexRate: "messages/s",
  coldFirstSearchMs: "ms",
  warmFirstSearchMs: "ms",
  heapMiB: "MiB",
  snapshotMiB: "MiB",
  saveMs: "ms",
  queryP50Ms: "ms",
  queryP95Ms: "ms",
};

export const targets = [
  { scenario: "search", metric: "queryP95Ms", op: "<=", value: 50, label: "query p95 ≤ 50 ms" },
];

export const defaultRuns = 1;

const KDF = { memoryKiB: 1024, iterations: 1 };
const CONVERSATIONS = 40;
const SENDERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

/** A small deterministic PRNG (mulberry32), so every run indexes the same text. */
function prng(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A vocabulary of 8,000 pronounceable words; picked with a Zipf-like skew, as chat text is. */
function vocabulary(random) {
  const syllables = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "ze",
    "pa",
    "de",
    "gu",
    "ho",
    "ja",
    "be",
    "fi",
  ];
  const words = new Set();
  while (words.size < 8000) {
    const n = 1 + Math.floor(random() * 4);
    let w = "";
    for (let i = 0; i < n; i++) w += syllables[Math.floor(random() * syllables.length)];
    words.add(w);
  }
  return [...words];
}

function messages(count, random, words) {
  const pick = () => words[Math.floor(words.length * random() ** 3)];
  const start = Date.UTC(2026, 0, 1);
  const out = [];
  for (let i = 0; i < count; i++) {
    const length = 4 + Math.floor(random() * 20);
    const parts = [];
    for (let j = 0; j < length; j++) parts.push(pick());
    if (random() < 0.05) parts.push(`https://example.org/${pick()}`);
    const from = SENDERS[Math.floor(random() * SENDERS.length)];
    const sentAt = start + i * 300_000;
    out.push({
      id: `m${String(i).padStart(7, "0")}${Math.floor(random() * 1e9).toString(36)}`,
      conversationId: `conv-${Math.floor(random() * CONVERSATIONS)}`,
      from,
      fromDeviceId: "",
      direction: from === "alice" ? "out" : "in",
      body: { type: "text", text: parts.join(" ") },
      sentAt,
      receivedAt: sentAt,
      status: "received",
    });
  }
  return out;
}

/** The query mix: [query, options] pairs over common, middling and rare words, with filters. */
function queryMix(n, random, words) {
  const common = () => words[Math.floor(random() * 20)];
  const middling = () => words[200 + Math.floor(random() * 800)];
  const rare = () => words[4000 + Math.floor(random() * 4000)];
  const kinds = [
    () => [common(), {}, "common word"],
    () => [middling(), {}, "middling word"],
    () => [rare(), {}, "rare word"],
    () => [`${middling()} ${common()}`, {}, "two words"],
    () => [middling().slice(0, 3), {}, "3-letter prefix"],
    () => [
      middling(),
      { conversationId: `conv-${Math.floor(random() * CONVERSATIONS)}` },
      "in a conversation",
    ],
    () => [common(), { from: SENDERS[Math.floor(random() * SENDERS.length)] }, "common word from a sender"],
    () => [middling(), { hasLink: true }, "middling word with a link"],
  ];
  return Array.from({ length: n }, (_, i) => kinds[i % kinds.length]());
}

function heapUsed() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

async function run(flags) {
  const quick = flags.quick === "true";
  const count = numberFlag(flags, "messages", quick ? 10_000 : 100_000);
  const queries = numberFlag(flags, "queries", quick ? 80 : 300);
  const server = await startVolly();
  const home = mkdtempSync(join(tmpdir(), "volly-search-"));
  const dir = join(home, "alice");
  const random = prng(42);
  const words = vocabulary(random);
  let client;
  try {
    client = await initNodeProfile(dir, {
      serverUrl: server.url,
      handle: `alice${Date.now() % 1e6}`,
      pin: "123456",
      kdf: KDF,
    });
    console.error(`search: storing ${count} messages`);
    await storeMessageRecords(client, messages(count, random, words));

    // Cold: the first search builds the index from the sealed store.
    const heapBefore = heapUsed();
    let t = performance.now();
    await client.search.messages(words[0]);
    const coldFirstSearchMs = performance.now() - t;
    const heapMiB = (heapUsed() - heapBefore) / 2 ** 20;
    const { documents } = await searchIndexStats(client);

    const latencies = [];
    const byKind = new Map();
    for (const [query, options, kind] of queryMix(queries, random, words)) {
      t = performance.now();
      const hits = await client.search.messages(query, options);
      const ms = performance.now() - t;
      latencies.push(ms);
      const entry = byKind.get(kind) ?? { ms: [], hits: 0 };
      entry.ms.push(ms);
      entry.hits += hits.length;
      byKind.set(kind, entry);
    }
    const kinds = [...byKind]
      .map(
        ([kind, e]) =>
          `${kind} ${percentile(e.ms, 95).toFixed(1)} ms (${Math.round(e.hits / e.ms.length)} hits)`,
      )
      .join(", ");

    t = performance.now();
    const { snapshotBytes } = await searchIndexStats(client, true);
    const saveMs = performance.now() - t;
    await client.close();
    client = undefined;

    // Warm: after a restart the first search loads the sealed snapshot.
    client = await openNodeClient(dir, "123456");
    t = performance.now();
    await client.search.messages(words[1]);
    const warmFirstSearchMs = performance.now() - t;

    return {
      scenarios: {
        search: {
          messages: documents,
          indexRate: documents / (coldFirstSearchMs / 1000),
          coldFirstSearchMs,
          warmFirstSearchMs,
          heapMiB,
          snapshotMiB: snapshotBytes / 2 ** 20,
          saveMs,
          queryP50Ms: percentile(latencies, 50),
          queryP95Ms: percentile(latencies, 95),
        },
      },
      notes: [
        `${count.toLocaleString("en-US")} messages of 4–23 words (8,000-word vocabulary, Zipf-like), 5 % with a link, ` +
          `${CONVERSATIONS} conversations, ${SENDERS.length} senders; ${queries} queries: common / middling / rare word, ` +
          "two words, 3-letter prefix, with a conversation, sender or link filter; up to 50 hits each, unsealed.",
        `Query p95 by kind: ${kinds}.`,
        "Indexing rate = messages / cold first search (unsealing every row from SQLite included). heapMiB: the " +
          "index in memory (heap growth after GC); snapshotMiB: its sealed snapshot on disk.",
      ],
    };
  } finally {
    await client?.close().catch(() => undefined);
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

runAsMain(import.meta.url, run);
