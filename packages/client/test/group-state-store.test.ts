import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  addMembers,
  createGroup,
  decodeGroup,
  encodeGroup,
  encryptApplication,
  type GeneratedKeyPackage,
  generateIdentity,
  generateKeyPackage,
  groupEpoch,
  joinFromWelcome,
  loadSuite,
  type MlsGroup,
  type MlsSuite,
  processMessage,
} from "@volly/crypto";
import { newId, toBase64Url } from "@volly/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { GroupStateStore } from "../src/storage/group-state-store.js";
import { KeyedRecords } from "../src/storage/keyed-records.js";
import { SqliteClientStore } from "../src/storage/sqlite-client-store.js";
import { RECORD_PREFIXES } from "../src/storage/store-keys.js";
import { Stores } from "../src/storage/stores.js";
import { Vault } from "../src/storage/vault.js";

const CLASSIC = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519";
const KEY = new Uint8Array(32).fill(3);

/** A profile store in a fresh SQLite file; `reopen` opens the same file with empty caches. */
function profile() {
  const file = join(mkdtempSync(join(tmpdir(), "volly-group-state-")), "volly.db");
  const open = () => {
    const store = new SqliteClientStore(file);
    return { store, stores: new Stores(new Vault(store, KEY)) };
  };
  return { ...open(), reopen: open };
}

let counter = 0;
function newKeyPackage(suite: MlsSuite): Promise<GeneratedKeyPackage> {
  counter++;
  return generateKeyPackage(suite, generateIdentity(), {
    accountId: `acct${counter}`,
    deviceId: `dev${counter}`,
  });
}

/** An independent handle on the same state (the store keeps and hands out the handles it is given). */
const copy = (group: MlsGroup) => decodeGroup(encodeGroup(group));

/** Every raw stored value under a prefix, by key. */
async function rawRecords(store: SqliteClientStore, prefix: string = RECORD_PREFIXES.groupRecords) {
  return new Map((await store.list(prefix)).map(([k, v]) => [k, Buffer.from(v).toString("hex")]));
}

describe("the incremental group state store (SQLite)", () => {
  let suite: MlsSuite;
  let creator: MlsGroup;
  let joiner: MlsGroup;

  beforeAll(async () => {
    suite = await loadSuite(CLASSIC);
    creator = await createGroup(suite, newId(), await newKeyPackage(suite));
    const joinerKp = await newKeyPackage(suite);
    const others = await Promise.all(Array.from({ length: 30 }, () => newKeyPackage(suite)));
    const added = await addMembers(suite, creator, [...others.map((k) => k.keyPackage), joinerKp.keyPackage]);
    creator = added.newGroup;
    joiner = await joinFromWelcome(suite, added.welcome, added.ratchetTree, joinerKp);
  });

  it("round-trips through many sends, receives and a commit, writing one small record per message", async () => {
    const conv = newId();
    const sender = profile();
    const receiver = profile();
    await sender.stores.groupStates.put(sender.stores.batch(), conv, copy(creator)).commit();
    await receiver.stores.groupStates.put(receiver.stores.batch(), conv, copy(joiner)).commit();
    const ciphertexts: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const before = await rawRecords(sender.store);
      const group = await sender.stores.groupStates.load(conv);
      const sent = await encryptApplication(suite, group, new Uint8Array([i]));
      await sender.stores.groupStates.put(sender.stores.batch(), conv, sent.newGroup).commit();
      ciphertexts.push(sent.ciphertext);
      const after = await rawRecords(sender.store);
      const changed = [...after].filter(([k, v]) => before.get(k) !== v);
      expect(changed.map(([k]) => k)).toEqual([expect.stringMatching(/\/c\/\d+\/\d+$/)]);
      expect(changed[0]![1].length / 2).toBeLessThan(4096);
      expect(after.size).toBe(before.size);
    }
    // received in a shuffled order, with a reload from the file between messages now and then
    let recv: { store: SqliteClientStore; stores: Stores } = receiver;
    for (const [n, i] of [3, 0, 1, 7, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15].entries()) {
      const group = await recv.stores.groupStates.load(conv);
      const processed = await processMessage(suite, group, ciphertexts[i]!);
      await recv.stores.groupStates.put(recv.stores.batch(), conv, processed.newGroup).commit();
      if (n % 5 === 4) {
        await recv.store.close();
        recv = receiver.reopen();
        expect(encodeGroup(await recv.stores.groupStates.load(conv))).toEqual(
          encodeGroup(processed.newGroup),
        );
      }
    }
    // a commit, processed by the receiver; then the rest of the old epoch's messages arrive late
    const add = await addMembers(suite, await sender.stores.groupStates.load(conv), [
      (await newKeyPackage(suite)).keyPackage,
    ]);
    await sender.stores.groupStates.put(sender.stores.batch(), conv, add.newGroup).commit();
    const committed = await processMessage(suite, await recv.stores.groupStates.load(conv), add.commit);
    await recv.stores.groupStates.put(recv.stores.batch(), conv, committed.newGroup).commit();
    let last = committed.newGroup;
    for (const i of [19, 16, 17, 18]) {
      const processed = await processMessage(
        suite,
        await recv.stores.groupStates.load(conv),
        ciphertexts[i]!,
      );
      expect(processed.kind === "application" && processed.plaintext).toEqual(new Uint8Array([i]));
      await recv.stores.groupStates.put(recv.stores.batch(), conv, processed.newGroup).commit();
      last = processed.newGroup;
    }
    expect(groupEpoch(last)).toBe(groupEpoch(joiner) + 1);
    const reopenedReceiver = receiver.reopen();
    expect(encodeGroup(await reopenedReceiver.stores.groupStates.load(conv))).toEqual(encodeGroup(last));
    const reopenedSender = sender.reopen();
    expect(encodeGroup(await reopenedSender.stores.groupStates.load(conv))).toEqual(
      encodeGroup(add.newGroup),
    );
  });

  it("a message received and stored does not decrypt again after the state is reloaded", async () => {
    const conv = newId();
    const sender = profile();
    const receiver = profile();
    await sender.stores.groupStates.put(sender.stores.batch(), conv, copy(creator)).commit();
    await receiver.stores.groupStates.put(receiver.stores.batch(), conv, copy(joiner)).commit();
    const sent = await encryptApplication(
      suite,
      await sender.stores.groupStates.load(conv),
      new Uint8Array([1]),
    );
    const processed = await processMessage(
      suite,
      await receiver.stores.groupStates.load(conv),
      sent.ciphertext,
    );
    await receiver.stores.groupStates.put(receiver.stores.batch(), conv, processed.newGroup).commit();
    await receiver.store.close();
    const reloaded = await receiver.reopen().stores.groupStates.load(conv);
    await expect(processMessage(suite, reloaded, sent.ciphertext)).rejects.toMatchObject({
      code: "VOLLY_E_DECRYPT_FAILED",
    });
    // as it fails on the in-memory state without any persistence
    await expect(processMessage(suite, processed.newGroup, sent.ciphertext)).rejects.toMatchObject({
      code: "VOLLY_E_DECRYPT_FAILED",
    });
  });

  it("loads a state stored in the older single record, and replaces it on the next write", async () => {
    const conv = newId();
    const { store, stores, reopen } = profile();
    const legacy = new KeyedRecords<string>(new Vault(store, KEY), RECORD_PREFIXES.groupState);
    await legacy.put(stores.batch(), conv, toBase64Url(encodeGroup(creator))).commit();
    const loaded = await stores.groupStates.load(conv);
    expect(encodeGroup(loaded)).toEqual(encodeGroup(creator));
    const sent = await encryptApplication(suite, loaded, new Uint8Array([1]));
    await stores.groupStates.put(stores.batch(), conv, sent.newGroup).commit();
    expect(await legacy.get(conv)).toBeUndefined();
    expect((await rawRecords(store)).size).toBeGreaterThan(1);
    expect(encodeGroup(await reopen().stores.groupStates.load(conv))).toEqual(encodeGroup(sent.newGroup));
  });

  it("lands a message and its ratchet change together or not at all", async () => {
    const conv = newId();
    const sender = profile();
    const receiver = profile();
    await sender.stores.groupStates.put(sender.stores.batch(), conv, copy(creator)).commit();
    await receiver.stores.groupStates.put(receiver.stores.batch(), conv, copy(joiner)).commit();
    const sent = await encryptApplication(
      suite,
      await sender.stores.groupStates.load(conv),
      new Uint8Array([7]),
    );
    const { stores } = receiver;
    const before = await rawRecords(receiver.store);
    const group = await stores.groupStates.load(conv);
    const processed = await processMessage(suite, group, sent.ciphertext);
    // a batch whose message row cannot be written (no conversation id): the transaction rolls back
    const failing = stores.groupStates.put(stores.batch(), conv, processed.newGroup);
    failing.putMessage("m-failed", null as unknown as string, 1, { text: "x" });
    await expect(failing.commit()).rejects.toThrow();
    expect(await rawRecords(receiver.store)).toEqual(before);
    expect(await stores.messages.get("m-failed")).toBeUndefined();
    // the state on disk (and the one the store now loads) still decrypts the message: no ratchet lost
    const again = await processMessage(suite, await stores.groupStates.load(conv), sent.ciphertext);
    expect(again.kind === "application" && again.plaintext).toEqual(new Uint8Array([7]));
    const ok = stores.groupStates.put(stores.batch(), conv, again.newGroup);
    ok.putMessage("m-ok", conv, 1, { text: "x" });
    await ok.commit();
    expect(await stores.messages.get("m-ok")).toEqual({ text: "x" });
    const reloaded = await receiver.reopen().stores.groupStates.load(conv);
    expect(encodeGroup(reloaded)).toEqual(encodeGroup(again.newGroup));
  });

  it("never lets a load that read the file before a write cache the older state", async () => {
    const conv = newId();
    const { stores } = profile();
    await stores.groupStates.put(stores.batch(), conv, copy(creator)).commit();
    const group = await stores.groupStates.load(conv);
    const sent = await encryptApplication(suite, group, new Uint8Array([1]));
    const batch = stores.groupStates.put(stores.batch(), conv, sent.newGroup);
    // `group` is consumed, so this load reads the file — which does not have the new state yet
    const stale = stores.groupStates.load(conv);
    await batch.commit();
    expect(encodeGroup(await stale)).not.toEqual(encodeGroup(sent.newGroup));
    expect(await stores.groupStates.load(conv)).toBe(sent.newGroup);
  });

  it("stays correct when the cache forgets a conversation, and after a delete", async () => {
    const { store, reopen } = profile();
    const vault = new Vault(store, KEY);
    const states = new GroupStateStore(vault, 1); // holds one conversation: loading b forgets a
    const [a, b] = [newId(), newId()];
    await states.put(vault.batch(), a, copy(creator)).commit();
    await states.put(vault.batch(), b, copy(joiner)).commit();
    let group = await states.load(a);
    for (let i = 0; i < 5; i++) {
      await states.load(b);
      const sent = await encryptApplication(suite, group, new Uint8Array([i]));
      await states.put(vault.batch(), a, sent.newGroup).commit();
      group = sent.newGroup;
    }
    expect(encodeGroup(await reopen().stores.groupStates.load(a))).toEqual(encodeGroup(group));
    await states.delete(vault.batch(), a).commit();
    expect(await rawRecords(store, `${RECORD_PREFIXES.groupRecords}${a}/`)).toEqual(new Map());
    await expect(states.load(a)).rejects.toMatchObject({ code: "VOLLY_E_UNKNOWN_CONVERSATION" });
    expect(encodeGroup(await states.load(b))).toEqual(encodeGroup(joiner));
  });
});
