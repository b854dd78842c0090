/**
 * Browser entry of the web-start benchmark's seeding (bundled by `web-seed.mjs` into one script and
 * run in a page of the app's origin): opens the profile the app created in IndexedDB with its PIN,
 * and writes a big account's local history through the SDK's own sealed record stores — the same
 * records, keys and sealing the SDK writes when messages arrive. Conversations are records only
 * (no MLS group state: the benchmark measures start and scrolling, not sending).
 */
import { profileStores, unlockProfile } from "../../packages/client/dist/account/profile.js";
import { IndexedDbClientStore } from "../../packages/client/dist/storage/indexeddb-client-store.js";

const WORDS =
  "the meeting moved to thursday can you send the notes please I think we should ship it after the review looks good to me thanks for the update let us talk tomorrow about the plan".split(
    " ",
  );

/** A deterministic pseudo-random generator (mulberry32), so every run seeds the same history. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 22-character id (the SDK's id length) from a one-letter kind and up to two numbers, unique per (kind, a, b). */
function id(kind, a, b = 0) {
  return `${kind}${String(a).padStart(6, "0")}x${String(b).padStart(14, "0")}`;
}

/**
 * Seeds the profile: `conversations` conversations (direct ones with a peer each, every tenth a
 * group), the first holding `bigConversation` messages and the rest sharing `messages -
 * bigConversation`; a third of the conversations have unread messages. Writes in batches of
 * `batchSize` messages.
 * @param {{pin: string, dbName?: string, conversations: number, messages: number, bigConversation: number, batchSize?: number}} options
 * @returns {Promise<{bigConversationId: string, conversations: number, messages: number, ms: number}>}
 */
export async function seed({
  pin,
  dbName = "volly",
  conversations,
  messages,
  bigConversation,
  batchSize = 2_000,
}) {
  const started = performance.now();
  const store = await IndexedDbClientStore.open(dbName);
  const unlocked = await unlockProfile(store, pin);
  const stores = profileStores(unlocked);
  const me = unlocked.profile;
  const rnd = random(42);
  const now = Date.now();
  const spanMs = 365 * 24 * 3_600_000;
  const convs = [];
  let batch = stores.batch();
  for (let c = 0; c < conversations; c++) {
    const handle = `peer${c}`;
    const group = c % 10 === 9;
    const conv = {
      id: id("c", c),
      kind: group ? "group" : "direct",
      title: group ? `Group ${c}` : handle,
      createdAt: now - spanMs,
      lastSeq: 0,
      members: [{ accountId: id("a", c), handle, displayName: `Peer ${c}` }],
      ...(group ? { groupName: `Group ${c}` } : { peerHandle: handle }),
    };
    convs.push(conv);
    if (!group) stores.directConversations.put(batch, handle, conv.id);
  }
  const counts = convs.map((_, c) =>
    c === 0
      ? bigConversation
      : Math.floor((messages - bigConversation) / (conversations - 1)) +
        (c - 1 < (messages - bigConversation) % (conversations - 1) ? 1 : 0),
  );
  let written = 0;
  for (let c = 0; c < conversations; c++) {
    const conv = convs[c];
    const n = counts[c];
    // Spread over the last year, newest conversation first; each conversation's last message at
    // its own time so the list has an order.
    const last = now - c * 60_000;
    const step = Math.max(1, Math.floor(spanMs / Math.max(1, n)));
    const unreadFrom = c % 3 === 0 ? n - 1 - (c % 7) : n;
    for (let i = 0; i < n; i++) {
      const at = last - (n - 1 - i) * step;
      const incoming = rnd() < 0.6;
      const words = 4 + Math.floor(rnd() * 14);
      let text = "";
      for (let w = 0; w < words; w++) text += `${w ? " " : ""}${WORDS[Math.floor(rnd() * WORDS.length)]}`;
      stores.messages.put(batch, {
        id: id("m", c, i),
        conversationId: conv.id,
        from: incoming ? conv.members[0].handle : me.handle,
        fromAccountId: incoming ? conv.members[0].accountId : me.accountId,
        fromDeviceId: incoming ? id("d", c) : me.deviceId,
        direction: incoming ? "in" : "out",
        body: { type: "text", text },
        sentAt: at,
        receivedAt: at,
        status: incoming ? "received" : "read",
        seq: i + 1,
      });
      written++;
      if (written % batchSize === 0) {
        await batch.commit();
        batch = stores.batch();
      }
    }
    stores.conversations.save(batch, {
      ...conv,
      lastSeq: n,
      lastReadAt: unreadFrom < n ? last - (n - unreadFrom) * step : last,
    });
  }
  await batch.commit();
  await store.close();
  const stored = await storedMessages(dbName);
  if (stored !== written) throw new Error(`seeded ${written} messages but the store holds ${stored}`);
  return {
    bigConversationId: convs[0].id,
    conversations,
    messages: written,
    ms: performance.now() - started,
  };
}

/** How many message rows the IndexedDB database holds (its `messages` object store). */
function storedMessages(dbName) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(dbName);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const count = db.transaction("messages").objectStore("messages").count();
      count.onsuccess = () => {
        db.close();
        resolve(count.result);
      };
      count.onerror = () => reject(count.error);
    };
  });
}
