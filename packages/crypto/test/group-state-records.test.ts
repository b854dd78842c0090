import { VollyError } from "@volly/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  CHUNK_NODES,
  createGroup,
  encodeGroup,
  encryptApplication,
  type GeneratedKeyPackage,
  type GroupStateRecords,
  generateIdentity,
  generateKeyPackage,
  groupEpoch,
  groupFromRecords,
  groupStateRecords,
  joinFromWelcome,
  loadSuite,
  type MlsGroup,
  type MlsSuite,
  processMessage,
} from "../src/index.js";

const CLASSIC = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519";

/** A stand-in for the client's store: the records of one group, applied as the client does. */
class RecordStore {
  head: Uint8Array | undefined;
  readonly epochs = new Map<number, Uint8Array>();
  readonly chunks = new Map<number, Map<number, Uint8Array>>();

  apply(records: GroupStateRecords): void {
    if (records.replaceAll) {
      this.head = undefined;
      this.epochs.clear();
      this.chunks.clear();
    }
    for (const epoch of records.dropped) {
      this.epochs.delete(epoch);
      this.chunks.delete(epoch);
    }
    for (const { epoch, record } of records.epochs) {
      this.epochs.set(epoch, record);
      this.chunks.delete(epoch);
    }
    for (const { epoch, index, record } of records.chunks) {
      const ofEpoch = this.chunks.get(epoch) ?? new Map<number, Uint8Array>();
      ofEpoch.set(index, record);
      this.chunks.set(epoch, ofEpoch);
    }
    if (records.head) this.head = records.head;
  }

  load(): MlsGroup {
    if (!this.head) throw new Error("nothing stored");
    return groupFromRecords(this.head, this.epochs, this.chunks);
  }
}

let counter = 0;
function newKeyPackage(suite: MlsSuite): Promise<GeneratedKeyPackage> {
  counter++;
  return generateKeyPackage(suite, generateIdentity(), {
    accountId: `acct${counter}`,
    deviceId: `dev${counter}`,
  });
}

/** Stores `next` incrementally over `stored` and checks a reload equals it. */
function persist(store: RecordStore, next: MlsGroup, stored: MlsGroup | undefined): GroupStateRecords {
  const records = groupStateRecords(next, stored);
  store.apply(records);
  expect(encodeGroup(store.load())).toEqual(encodeGroup(next));
  return records;
}

const recordBytes = (r: GroupStateRecords) =>
  (r.head?.length ?? 0) +
  r.epochs.reduce((n, e) => n + e.record.length, 0) +
  r.chunks.reduce((n, c) => n + c.record.length, 0);

describe("incremental group state records", () => {
  let suite: MlsSuite;
  let alice: MlsGroup;
  let bob: MlsGroup;

  beforeAll(async () => {
    suite = await loadSuite(CLASSIC);
    alice = await createGroup(suite, "g-records", await newKeyPackage(suite));
    const bobKp = await newKeyPackage(suite);
    const others = await Promise.all(Array.from({ length: 38 }, () => newKeyPackage(suite)));
    const added = await addMembers(suite, alice, [...others.map((k) => k.keyPackage), bobKp.keyPackage]);
    alice = added.newGroup;
    bob = await joinFromWelcome(suite, added.welcome, added.ratchetTree, bobKp);
  });

  it("round-trips across sends, receives out of order, a commit and a late message of the past epoch", async () => {
    const aliceStore = new RecordStore();
    const bobStore = new RecordStore();
    persist(aliceStore, alice, undefined);
    persist(bobStore, bob, undefined);
    let a = aliceStore.load();
    let b = bobStore.load();
    const ciphertexts: Uint8Array[] = [];
    for (let i = 0; i < 12; i++) {
      const sent = await encryptApplication(suite, a, new Uint8Array([i]));
      const records = persist(aliceStore, sent.newGroup, a);
      // one chunk of the sender's own leaf, nothing else
      expect(records.head).toBeUndefined();
      expect(records.epochs).toEqual([]);
      expect(records.chunks).toHaveLength(1);
      a = sent.newGroup;
      ciphertexts.push(sent.ciphertext);
    }
    // bob receives 5 and 3 first (generations kept as unused keys), then the rest
    for (const i of [5, 3, 0, 1, 2, 4, 6, 7, 8, 9]) {
      const processed = await processMessage(suite, b, ciphertexts[i]!);
      expect(processed.kind === "application" && processed.plaintext).toEqual(new Uint8Array([i]));
      const records = persist(bobStore, processed.newGroup, b);
      expect(records.head).toBeUndefined();
      expect(records.chunks).toHaveLength(1);
      b = bobStore.load(); // continue from the reloaded state
    }
    // a commit: head, the new epoch's record and all its chunks; the old epoch's records stay
    const newcomer = await newKeyPackage(suite);
    const added = await addMembers(suite, a, [newcomer.keyPackage]);
    const commitRecords = persist(aliceStore, added.newGroup, a);
    expect(commitRecords.head).toBeDefined();
    expect(commitRecords.epochs.map((e) => e.epoch)).toEqual([groupEpoch(added.newGroup)]);
    expect(commitRecords.dropped).toEqual([]);
    const processed = await processMessage(suite, b, added.commit);
    persist(bobStore, processed.newGroup, b);
    b = bobStore.load();
    // the last two messages of the past epoch still decrypt, after a reload in between
    for (const i of [11, 10]) {
      const late = await processMessage(suite, b, ciphertexts[i]!);
      expect(late.kind === "application" && late.plaintext).toEqual(new Uint8Array([i]));
      const records = persist(bobStore, late.newGroup, b);
      expect(records.chunks.map((c) => c.epoch)).toEqual([groupEpoch(b) - 1]);
      b = bobStore.load();
    }
  });

  it("writes O(1) bytes per message: one chunk of CHUNK_NODES nodes", async () => {
    const store = new RecordStore();
    const full = recordBytes(persist(store, alice, undefined));
    const loaded = store.load();
    const sent = await encryptApplication(suite, loaded, new Uint8Array(10));
    const records = groupStateRecords(sent.newGroup, loaded);
    expect(recordBytes(records)).toBeLessThan(CHUNK_NODES * 200);
    expect(recordBytes(records)).toBeLessThan(full / 10);
  });

  it("a message received and stored cannot be decrypted again after a reload", async () => {
    const aliceStore = new RecordStore();
    const bobStore = new RecordStore();
    persist(aliceStore, alice, undefined);
    persist(bobStore, bob, undefined);
    const sent = await encryptApplication(suite, aliceStore.load(), new Uint8Array([42]));
    const b = bobStore.load();
    // without persistence: the same state refuses the replay
    const processed = await processMessage(suite, b, sent.ciphertext);
    await expect(processMessage(suite, processed.newGroup, sent.ciphertext)).rejects.toThrow(VollyError);
    // with persistence and a reload: refused the same way
    persist(bobStore, processed.newGroup, b);
    await expect(processMessage(suite, bobStore.load(), sent.ciphertext)).rejects.toMatchObject({
      code: "VOLLY_E_DECRYPT_FAILED",
    });
  });

  it("drops the records of epochs that leave the retention window", async () => {
    const store = new RecordStore();
    persist(store, alice, undefined);
    let a = store.load();
    const dropped: number[] = [];
    for (let i = 0; i < 6; i++) {
      const added = await addMembers(suite, a, [(await newKeyPackage(suite)).keyPackage]);
      const records = persist(store, added.newGroup, a);
      dropped.push(...records.dropped);
      a = added.newGroup;
    }
    expect(dropped.length).toBeGreaterThan(0);
    expect([...store.epochs.keys()].sort()).toEqual([...store.chunks.keys()].sort());
    expect(store.epochs.size).toBeLessThanOrEqual(5);
  });

  it("refuses missing or corrupt records", () => {
    const store = new RecordStore();
    persist(store, alice, undefined);
    const epoch = groupEpoch(alice);
    store.chunks.get(epoch)?.delete(0);
    expect(() => store.load()).toThrow(VollyError);
    expect(() => groupFromRecords(new Uint8Array([2, 0]), new Map(), new Map())).toThrow(VollyError);
  });
});
