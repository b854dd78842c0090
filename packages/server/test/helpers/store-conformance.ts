import { DEFAULT_CIPHERSUITE } from "@volly/crypto";
import { newId } from "@volly/protocol";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createInProcessBus } from "../../src/bus/in-process-bus.js";
import { DEFAULT_SERVICE_LIMITS } from "../../src/services/service-limits.js";
import { createServices, type Services } from "../../src/services/services.js";
import { StoreConflict } from "../../src/store/store-conflict.js";
import type { LogEntryRecord, Store } from "../../src/store/types.js";
import { newKeys } from "./identity.js";
import { commitBody, createGroupBody, newGroupBodies, rememberDevice } from "./mls-groups.js";
import type { OpenedStore, StoreBackend } from "./store-backends.js";

/** A timestamp beyond 2^32 and near 2^52 (ms): BIGINT columns must round-trip it as a JS number. */
const BIG_TIME = 2 ** 52 + 7;

const id = () => newId();

/** An account with one device, whose real Ed25519 keys the MLS helpers can commit with. */
async function account(store: Store, handle: string, createdAt = 1) {
  const accountId = id();
  const deviceId = id();
  const keys = newKeys();
  await store.accounts.insert({ id: accountId, handle, entityType: "human", createdAt });
  await store.devices.insert({
    id: deviceId,
    accountId,
    signaturePublicKey: keys.publicKeyB64,
    name: `${handle}'s device`,
    createdAt,
  });
  rememberDevice({ accountId, deviceId, keys });
  return { accountId, deviceId };
}

async function group(store: Store, members: string[]) {
  const groupId = id();
  await store.groups.insert({ id: groupId, epoch: 0, lastSeq: 0, createdAt: 5, membershipPolicy: "admin" });
  await store.groups.addMembers(groupId, members, 0);
  return groupId;
}

function entry(
  groupId: string,
  seq: number,
  sender: string,
  over: Partial<LogEntryRecord> = {},
): LogEntryRecord {
  return {
    groupId,
    seq,
    kind: "application",
    messageId: id(),
    senderDeviceId: sender,
    epoch: 0,
    payload: `payload-${seq}`,
    createdAt: 100 + seq,
    ...over,
  };
}

/** Asserts that `error` is the store's typed conflict for a `what` row (the driver's error only as its cause). */
function expectConflict(error: unknown, what: string): void {
  expect(error).toBeInstanceOf(StoreConflict);
  expect((error as StoreConflict).what).toBe(what);
  expect((error as StoreConflict).cause).toBeDefined();
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/**
 * The store conformance suite: every behaviour the services rely on, run unchanged against each
 * backend (`forEachBackend(describeStoreConformance)`). Concurrency cases run from two stores over
 * one database where the backend has them (PostgreSQL: two pools, as two server nodes would), else
 * from one store (SQLite: one process per file).
 */
export function describeStoreConformance(backend: StoreBackend): void {
  let opened: OpenedStore;
  let store: Store;
  /** A second node's store over the same database (SQLite: the same store). */
  let peer: Store;
  beforeEach(async () => {
    opened = await backend.fresh();
    store = opened.store;
    peer = opened.peer ? await opened.peer() : store;
  });
  afterEach(() => opened.close());

  const services = (s: Store): Services =>
    createServices({ store: s, bus: createInProcessBus(), now: Date.now }, DEFAULT_CIPHERSUITE);

  it("answers ping, keeps data across closing and reopening, and migrating again changes nothing", async () => {
    await store.ping();
    const alice = await account(store, "alice", BIG_TIME);
    await store.close();
    const again = await opened.reopen();
    expect(await again.accounts.findByHandle("alice")).toEqual({
      id: alice.accountId,
      handle: "alice",
      entityType: "human",
      createdAt: BIG_TIME,
    });
    expect((await again.devices.findById(alice.deviceId))?.handle).toBe("alice");
    store = again;
  });

  it("round-trips every BIGINT column as a JS number", async () => {
    const a = await account(store, "alice", BIG_TIME);
    const groupId = id();
    await store.groups.insert({
      id: groupId,
      epoch: BIG_TIME,
      lastSeq: BIG_TIME,
      createdAt: BIG_TIME,
      membershipPolicy: "admin",
    });
    await store.groups.addMembers(groupId, [a.deviceId], BIG_TIME);
    await store.log.append(entry(groupId, BIG_TIME, a.deviceId, { epoch: BIG_TIME, createdAt: BIG_TIME }));
    await store.cursors.advance(a.deviceId, groupId, BIG_TIME);
    await store.auth.insertSession({ tokenHash: "t", deviceId: a.deviceId, expiresAt: BIG_TIME });
    const found = await store.groups.find(groupId);
    expect(found).toEqual({
      id: groupId,
      epoch: BIG_TIME,
      lastSeq: BIG_TIME,
      createdAt: BIG_TIME,
      membershipPolicy: "admin",
    });
    expect(await store.groups.findMembership(groupId, a.deviceId)).toEqual({
      groupId,
      deviceId: a.deviceId,
      joinedSeq: BIG_TIME,
      leftSeq: null,
    });
    const [logged] = await store.log.readAfter(groupId, 0, { limit: 1 });
    expect(typeof logged?.seq).toBe("number");
    expect(logged).toMatchObject({ seq: BIG_TIME, epoch: BIG_TIME, createdAt: BIG_TIME });
    expect(await store.cursors.find(a.deviceId, groupId)).toBe(BIG_TIME);
    expect(await store.auth.findSession("t", 0)).toEqual({ deviceId: a.deviceId, expiresAt: BIG_TIME });
    expect((await store.devices.listByAccount(a.accountId))[0]?.createdAt).toBe(BIG_TIME);
  });

  it("looks accounts and devices up by id, handle and key, with display names, in a stable order", async () => {
    const a = await account(store, "alice");
    await store.accounts.insert({
      id: id(),
      handle: "dora",
      entityType: "bot",
      createdAt: 2,
      displayName: "Dora",
    });
    const second = id();
    await store.devices.insert({
      id: second,
      accountId: a.accountId,
      signaturePublicKey: "k2",
      name: "phone",
      createdAt: 9,
    });
    expect((await store.accounts.findByHandle("dora"))?.displayName).toBe("Dora");
    await store.accounts.setDisplayName(a.accountId, "Alice L.");
    expect((await store.accounts.findById(a.accountId))?.displayName).toBe("Alice L.");
    expect((await store.accounts.findByHandle("dora"))?.displayName).toBe("Dora");
    expect((await store.accounts.findById(a.accountId))?.handle).toBe("alice");
    expect(await store.accounts.findByHandle("nobody")).toBeUndefined();
    expect((await store.devices.findBySignatureKey("k2"))?.id).toBe(second);
    expect((await store.devices.listByAccount(a.accountId)).map((d) => d.id)).toEqual([a.deviceId, second]);
    expect(await store.devices.existing([a.deviceId, "missing", second])).toEqual(
      new Set([a.deviceId, second]),
    );
    expect(await store.devices.existing([])).toEqual(new Set());
    const found = await peer.devices.findMany([second, "missing", a.deviceId]);
    expect(found.map((d) => [d.id, d.accountId, d.signaturePublicKey]).sort()).toEqual(
      [
        [a.deviceId, a.accountId, (await store.devices.findById(a.deviceId))?.signaturePublicKey],
        [second, a.accountId, "k2"],
      ].sort(),
    );
    expect(await store.devices.findMany([])).toEqual([]);
    // Over one statement's worth of ids: the lookup is chunked.
    const many = [...Array.from({ length: 600 }, () => id()), second];
    expect((await store.devices.findMany(many)).map((d) => d.id)).toEqual([second]);
  });

  it("reports a taken handle, key, group id or message id as a StoreConflict, never as the driver's error", async () => {
    const a = await account(store, "alice");
    const dup = rejection(
      store.accounts.insert({ id: id(), handle: "alice", entityType: "human", createdAt: 1 }),
    );
    expectConflict(await dup, "account");
    const key = (await store.devices.findById(a.deviceId))?.signaturePublicKey ?? "";
    const dupKey = rejection(
      store.devices.insert({
        id: id(),
        accountId: a.accountId,
        signaturePublicKey: key,
        name: "x",
        createdAt: 1,
      }),
    );
    expectConflict(await dupKey, "device");
    const groupId = await group(store, [a.deviceId]);
    const dupGroup = rejection(
      store.groups.insert({ id: groupId, epoch: 0, lastSeq: 0, createdAt: 1, membershipPolicy: "admin" }),
    );
    expectConflict(await dupGroup, "group");
    const first = entry(groupId, 1, a.deviceId);
    await store.log.append(first);
    const dupMessage = rejection(
      store.log.append(entry(groupId, 2, a.deviceId, { messageId: first.messageId })),
    );
    expectConflict(await dupMessage, "log entry");
  });

  it("enforces foreign keys (a device needs an account)", async () => {
    const error = await rejection(
      store.devices.insert({
        id: id(),
        accountId: "missing",
        signaturePublicKey: "k",
        name: "x",
        createdAt: 1,
      }),
    );
    expect(String((error as Error | undefined)?.message)).toMatch(/foreign key/i);
    expect(error).not.toBeInstanceOf(StoreConflict);
  });

  it("commits a transaction that resolves and rolls back every write of one that throws", async () => {
    expect(
      await store.transaction(async (tx) => {
        await tx.accounts.insert({ id: id(), handle: "kept", entityType: "human", createdAt: 1 });
        return 42;
      }),
    ).toBe(42);
    await expect(
      store.transaction(async (tx) => {
        await tx.accounts.insert({ id: id(), handle: "bob", entityType: "human", createdAt: 1 });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await store.accounts.findByHandle("bob")).toBeUndefined();
    expect(await peer.accounts.findByHandle("kept")).toBeDefined();
  });

  it("consumes a nonce once, even when two nodes try at the same time, and purges what expired", async () => {
    const a = await account(store, "alice");
    await store.auth.insertNonce({ nonce: "n1", deviceId: a.deviceId, expiresAt: 1_000 });
    await store.auth.insertNonce({ nonce: "n2", deviceId: a.deviceId, expiresAt: 10 });
    const results = await Promise.all([
      store.auth.consumeNonce("n1", a.deviceId, 5),
      peer.auth.consumeNonce("n1", a.deviceId, 5),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.auth.consumeNonce("n2", a.deviceId, 10)).toBe(false); // expired at 10
    expect(await store.auth.consumeNonce("n2", "other", 5)).toBe(false);
    await store.auth.insertSession({ tokenHash: "h", deviceId: a.deviceId, expiresAt: 50 });
    expect(await store.auth.findSession("h", 49)).toEqual({ deviceId: a.deviceId, expiresAt: 50 });
    expect(await store.auth.findSession("h", 50)).toBeUndefined();
    await store.auth.purgeExpired(50);
    expect(await store.auth.consumeNonce("n1", a.deviceId, 5)).toBe(false);
    expect(await store.auth.findSession("h", 0)).toBeUndefined();
  });

  it("hands out each one-time key package once under concurrent claims from two nodes, then the last resort", async () => {
    const bob = await account(store, "bob");
    const claimer = await account(store, "carol");
    const packages = Array.from({ length: 6 }, (_, i) => ({
      ref: `ref-${i}`,
      deviceId: bob.deviceId,
      data: `kp-${i}`,
      lastResort: false,
      createdAt: i,
    }));
    await store.keyPackages.insertMany(packages);
    await store.keyPackages.insertMany([packages[0]!]); // a ref already stored is ignored
    await store.keyPackages.insertMany([{ ...packages[0]!, ref: "lr", data: "last", lastResort: true }]);
    expect(await store.keyPackages.count(bob.deviceId)).toEqual({ available: 6, hasLastResort: true });
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? peer : store).keyPackages.claimOneTime(bob.deviceId, claimer.deviceId, 7),
      ),
    );
    const claimed = claims.filter((c) => c !== undefined).map((c) => c.ref);
    expect(claimed.sort()).toEqual(packages.map((p) => p.ref).sort());
    expect(await store.keyPackages.count(bob.deviceId)).toEqual({ available: 0, hasLastResort: true });
    expect((await store.keyPackages.findLastResort(bob.deviceId))?.data).toBe("last");
    await store.keyPackages.deleteLastResort(bob.deviceId);
    expect(await store.keyPackages.findLastResort(bob.deviceId)).toBeUndefined();
  });

  it("lets exactly one of concurrent epoch advances from two nodes win, each taking one seq", async () => {
    const a = await account(store, "alice");
    const groupId = await group(store, [a.deviceId]);
    for (let epoch = 0; epoch < 5; epoch++) {
      const results = await Promise.all([
        store.transaction((tx) => tx.groups.advanceEpoch(groupId, epoch)),
        peer.transaction((tx) => tx.groups.advanceEpoch(groupId, epoch)),
        peer.transaction((tx) => tx.groups.advanceEpoch(groupId, epoch)),
      ]);
      expect(results.filter((r) => r !== undefined)).toEqual([{ epoch: epoch + 1, lastSeq: epoch + 1 }]);
    }
    expect(await store.groups.advanceEpoch(groupId, 3)).toBeUndefined();
    expect(await store.groups.advanceEpoch("missing", 0)).toBeUndefined();
  });

  it("group commit: concurrent shared calls all commit; one that throws rolls back only its own writes", async () => {
    const a = await account(store, "alice");
    const groupId = await group(store, [a.deviceId]);
    const append = (fail: "no" | "throw" | "duplicate", messageId = id()) =>
      store.transactionShared(async (tx) => {
        const next = await tx.groups.nextSeq(groupId);
        if (!next) throw new Error("no group");
        await tx.log.append(entry(groupId, next.lastSeq, a.deviceId, { messageId }));
        if (fail === "throw") throw new Error("rolled back");
        return next.lastSeq;
      });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => append(i % 5 === 2 ? "throw" : "no")),
    );
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed.map((r) => (r.reason as Error).message)).toEqual(Array(4).fill("rolled back"));
    const seqs = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect((await peer.groups.find(groupId))?.lastSeq).toBe(16);
    expect(await peer.log.readAfter(groupId, 0, { limit: 100 })).toHaveLength(16);

    // A unique violation inside a shared call (on PostgreSQL it aborts the transaction until the
    // savepoint is rolled back) fails that call alone.
    const taken = id();
    const second = await Promise.allSettled([append("no", taken), append("no", taken), append("no")]);
    // Which of the two with the same id wins is up to the database (PostgreSQL runs them side by side).
    expect(second[2]?.status).toBe("fulfilled");
    const lost = second.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(lost).toHaveLength(1);
    expectConflict(lost[0]?.reason, "log entry");
    expect((await peer.groups.find(groupId))?.lastSeq).toBe(18);

    // A call alone in its batch that throws after writing leaves nothing, and the next one commits.
    await expect(append("throw")).rejects.toThrow("rolled back");
    expect(await append("no")).toBe(19);
    expect(await peer.log.readAfter(groupId, 0, { limit: 100 })).toHaveLength(19);

    // Another batch with a failing call commits every other call's writes once, whether it starts
    // with savepoints (within a second of the last failure) or is run again with them.
    const third = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => append(i === 0 ? "throw" : "no")),
    );
    expect(third.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    expect((await peer.groups.find(groupId))?.lastSeq).toBe(24);
    expect(await peer.log.readAfter(groupId, 0, { limit: 100 })).toHaveLength(24);
  });

  it("allocates gap-free seqs to concurrent appends from two nodes, and a rolled-back one leaves no gap", async () => {
    const a = await account(store, "alice");
    const groupId = await group(store, [a.deviceId]);
    const append = (s: Store) =>
      s.transaction(async (tx) => {
        const next = await tx.groups.nextSeq(groupId);
        if (!next) throw new Error("no group");
        await tx.log.append(entry(groupId, next.lastSeq, a.deviceId));
        return next.lastSeq;
      });
    await expect(
      store.transaction(async (tx) => {
        await tx.groups.nextSeq(groupId);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    const seqs = await Promise.all(Array.from({ length: 30 }, (_, i) => append(i % 2 ? peer : store)));
    expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect((await store.groups.find(groupId))?.lastSeq).toBe(30);
    expect(await store.groups.nextSeq("missing")).toBeUndefined();
  });

  it("reads a group's log in seq order with senders, skipping a sender, bounded above and by a limit", async () => {
    const a = await account(store, "alice");
    const b = await account(store, "bob");
    const groupId = await group(store, [a.deviceId, b.deviceId]);
    for (let seq = 1; seq <= 6; seq++) {
      await store.log.append(
        entry(groupId, seq, seq % 2 ? a.deviceId : b.deviceId, { epoch: seq > 3 ? 1 : 0 }),
      );
    }
    await store.log.append(entry(groupId, 7, a.deviceId, { kind: "commit", epoch: 1 }));
    const all = await store.log.readAfter(groupId, 0, { limit: 100 });
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all[0]).toMatchObject({
      senderAccountId: a.accountId,
      senderHandle: "alice",
      kind: "application",
    });
    expect(
      (await store.log.readAfter(groupId, 2, { excludeSender: a.deviceId, limit: 100 })).map((e) => e.seq),
    ).toEqual([4, 6]);
    expect((await store.log.readAfter(groupId, 1, { upToSeq: 5, limit: 2 })).map((e) => e.seq)).toEqual([
      2, 3,
    ]);
    expect((await store.log.findCommitAt(groupId, 1))?.seq).toBe(7);
    expect(await store.log.findCommitAt(groupId, 0)).toBeUndefined();
    expect((await store.log.findByMessageId(groupId, all[2]!.messageId))?.seq).toBe(3);
    expect(await store.log.findByMessageId(groupId, "missing")).toBeUndefined();
  });

  it("ends memberships at a seq, re-adds them, and lists members, memberships and peers", async () => {
    const a = await account(store, "alice");
    const b = await account(store, "bob");
    const c = await account(store, "carol");
    const groupId = await group(store, [a.deviceId]);
    await store.groups.addMembers(groupId, [c.deviceId, b.deviceId], 1);
    expect(await store.groups.listMembers(groupId)).toEqual([a.deviceId, ...[b.deviceId, c.deviceId].sort()]);
    expect((await store.groups.listPeerAccounts(a.accountId)).map((p) => p.handle).sort()).toEqual([
      "bob",
      "carol",
    ]);
    await store.groups.endMemberships(groupId, [c.deviceId], 4);
    await store.groups.endMemberships(groupId, [c.deviceId], 9); // already ended: unchanged
    expect(await store.groups.findMembership(groupId, c.deviceId)).toMatchObject({
      joinedSeq: 1,
      leftSeq: 4,
    });
    expect(await store.groups.listMembers(groupId)).not.toContain(c.deviceId);
    expect((await store.groups.listPeerAccounts(a.accountId)).map((p) => p.handle)).toEqual(["bob"]);
    expect(await store.groups.listPeerAccounts(c.accountId)).toEqual([]);
    await store.groups.addMembers(groupId, [c.deviceId], 6);
    expect(await store.groups.findMembership(groupId, c.deviceId)).toMatchObject({
      joinedSeq: 6,
      leftSeq: null,
    });
    expect((await store.groups.listMemberships(c.deviceId)).map((m) => m.groupId)).toEqual([groupId]);
    await store.groups.putTree(groupId, 1, "tree-1");
    await store.groups.putTree(groupId, 1, "tree-1b");
    expect(await store.groups.findTree(groupId, 1)).toBe("tree-1b");
    expect(await store.groups.findTree(groupId, 2)).toBeUndefined();
  });

  it("finds the GroupInfo of one epoch, and the latest; pruning keeps the current epoch's tree and GroupInfo", async () => {
    const a = await account(store, "alice");
    const groupId = await group(store, [a.deviceId]);
    for (const epoch of [0, 1, 2]) {
      await store.groups.putTree(groupId, epoch, `tree-${epoch}`);
      await store.groupState.putGroupInfo(groupId, epoch, `info-${epoch}`);
    }
    await store.groupState.putGroupInfo(groupId, 1, "info-1b");
    expect(await peer.groupState.findGroupInfo(groupId, 1)).toBe("info-1b");
    expect(await peer.groupState.findGroupInfo(groupId, 3)).toBeUndefined();
    expect(await peer.groupState.findGroupInfo(id(), 0)).toBeUndefined();
    expect(await peer.groupState.findLatestGroupInfo(groupId)).toEqual({ epoch: 2, groupInfo: "info-2" });
    // The group is at epoch 2: what verifies its next commit stays, the past epochs go.
    for (let epoch = 0; epoch < 2; epoch++) await store.groups.advanceEpoch(groupId, epoch);
    const pruneEpochs = () => store.transaction((tx) => tx.retention.pruneEpochs(groupId, 2));
    expect(await pruneEpochs()).toBe(4);
    expect(await store.groups.findTree(groupId, 2)).toBe("tree-2");
    expect(await store.groupState.findGroupInfo(groupId, 2)).toBe("info-2");
    expect(await store.groups.findTree(groupId, 1)).toBeUndefined();
    expect(await store.groupState.findGroupInfo(groupId, 1)).toBeUndefined();
    expect(await pruneEpochs()).toBe(0);
    expect(await store.groups.findTree(groupId, 2)).toBe("tree-2");
    expect(await store.groupState.findGroupInfo(groupId, 2)).toBe("info-2");
  });

  it("keeps welcome inboxes per device, oldest first, with the tree of their epoch, until acknowledged", async () => {
    const a = await account(store, "alice");
    const b = await account(store, "bob");
    const groupId = await group(store, [a.deviceId]);
    await store.groups.putTree(groupId, 1, "tree");
    const welcome = (welcomeId: string, createdAt: number, epoch = 1) => ({
      id: welcomeId,
      deviceId: b.deviceId,
      groupId,
      seq: 1,
      epoch,
      senderDeviceId: a.deviceId,
      payload: `w-${welcomeId}`,
      createdAt,
    });
    await store.welcomes.insertMany([welcome("w2", 20), welcome("w1", 10, 3)]);
    const pending = await store.welcomes.listPending(b.deviceId);
    expect(pending.map((w) => [w.id, w.ratchetTree, w.senderHandle])).toEqual([
      ["w1", "", "alice"],
      ["w2", "tree", "alice"],
    ]);
    expect((await peer.welcomes.findPending(b.deviceId, "w2"))?.payload).toBe("w-w2");
    await store.welcomes.ack(a.deviceId, ["w1"], 30); // not alice's: ignored
    await store.welcomes.ack(b.deviceId, ["w1", "unknown"], 30);
    expect((await store.welcomes.listPending(b.deviceId)).map((w) => w.id)).toEqual(["w2"]);
    expect(await store.welcomes.findPending(b.deviceId, "w1")).toBeUndefined();
  });

  it("stores a commit's one Welcome once for every device it added; each reads it until acknowledged; pruning drops it with the last", async () => {
    const a = await account(store, "alice");
    // 150 devices: more than one INSERT's worth of inbox rows
    const added = await Promise.all(Array.from({ length: 150 }, (_, i) => account(store, `m${i}`)));
    const groupId = await group(store, [a.deviceId]);
    await store.groups.putTree(groupId, 1, "tree");
    const entries = added.map((d, i) => ({
      id: id(),
      deviceId: d.deviceId,
      groupId,
      seq: 1,
      epoch: 1,
      senderDeviceId: a.deviceId,
      createdAt: 10 + i,
    }));
    await store.welcomes.insertShared("w-shared", entries);
    expect(await opened.count("commit_welcomes")).toBe(1);
    expect(await opened.count("welcomes")).toBe(150);
    const [first, last] = [entries[0]!, entries[149]!];
    expect(await peer.welcomes.listPending(first.deviceId)).toEqual([
      {
        ...first,
        payload: "w-shared",
        ratchetTree: "tree",
        senderAccountId: a.accountId,
        senderHandle: "alice",
      },
    ]);
    expect((await peer.welcomes.findPending(last.deviceId, last.id))?.payload).toBe("w-shared");
    for (const e of entries.slice(0, 149)) await store.welcomes.ack(e.deviceId, [e.id], 500);
    const prune = () => store.transaction((tx) => tx.retention.deleteWelcomes(0, 1000));
    expect(await prune()).toEqual({ deleted: 149, groupIds: [groupId] });
    expect(await opened.count("commit_welcomes")).toBe(1);
    expect((await store.welcomes.listPending(last.deviceId))[0]?.payload).toBe("w-shared");
    await store.welcomes.ack(last.deviceId, [last.id], 600);
    expect(await prune()).toEqual({ deleted: 1, groupIds: [groupId] });
    expect(await opened.count("commit_welcomes")).toBe(0);
  });

  it("moves cursors forward only, also when two nodes advance them at once", async () => {
    const a = await account(store, "alice");
    const groupId = await group(store, [a.deviceId]);
    await Promise.all([
      store.cursors.advance(a.deviceId, groupId, 5),
      peer.cursors.advance(a.deviceId, groupId, 3),
      peer.cursors.advance(a.deviceId, groupId, 4),
    ]);
    expect(await store.cursors.find(a.deviceId, groupId)).toBe(5);
    await store.cursors.advance(a.deviceId, groupId, 2);
    expect(await store.cursors.listForDevice(a.deviceId)).toEqual(new Map([[groupId, 5]]));
    expect(await store.cursors.find(a.deviceId, "other")).toBeUndefined();
  });

  it("advances many devices' cursors in one call (over 500 rows: several statements), forward only", async () => {
    const devices = await Promise.all(Array.from({ length: 260 }, (_, i) => account(store, `dev${i}`)));
    const ids = devices.map((d) => d.deviceId);
    const [g1, g2] = [await group(store, ids), await group(store, ids)];
    await store.cursors.advance(ids[0]!, g1, 50);
    await store.cursors.advanceMany(
      ids.flatMap((deviceId, i) => [
        { deviceId, groupId: g1, seq: i + 1 },
        { deviceId, groupId: g2, seq: 7 },
      ]),
    );
    expect(await peer.cursors.find(ids[0]!, g1)).toBe(50);
    expect(await peer.cursors.find(ids[259]!, g1)).toBe(260);
    expect(await peer.cursors.listForDevice(ids[3]!)).toEqual(
      new Map([
        [g1, 4],
        [g2, 7],
      ]),
    );
    await store.cursors.advanceMany([]);
  });

  it("delivery across nodes: of two commits for one epoch arriving at different nodes exactly one wins", async () => {
    const [one, two] = [services(store), services(peer)];
    const alice = await account(store, "alice");
    const bob = await account(store, "bob");
    const groupId = id();
    const bodies = await newGroupBodies(groupId, alice.deviceId, [bob.deviceId]);
    await one.groups.createGroup(alice.deviceId, bodies.create);
    await one.delivery.commit(alice.deviceId, groupId, bodies.commit);
    for (let epoch = 1; epoch <= 8; epoch++) {
      // Each rejoins in place of its own leaf (an external commit): both verify against epoch `epoch`.
      const [fromAlice, fromBob] = [
        await commitBody(store, groupId, alice.deviceId),
        await commitBody(store, groupId, bob.deviceId),
      ];
      const results = await Promise.allSettled([
        one.delivery.commit(alice.deviceId, groupId, fromAlice),
        two.delivery.commit(bob.deviceId, groupId, fromBob),
      ]);
      expect(results.filter((r) => r.status === "fulfilled").map((r) => r.value)).toEqual([
        { seq: epoch + 1, epoch: epoch + 1 },
      ]);
      const lost = results.find((r) => r.status === "rejected");
      expect(lost?.reason).toMatchObject({
        code: "VOLLY_E_STALE_EPOCH",
        details: { currentEpoch: epoch + 1 },
      });
    }
    const log = await store.log.readAfter(groupId, 0, { limit: 100 });
    expect(log.map((e) => [e.seq, e.epoch])).toEqual(Array.from({ length: 9 }, (_, i) => [i + 1, i]));
  });

  it("delivery across nodes: a message id sent to two nodes at once is stored once; seqs stay gap-free", async () => {
    const [one, two] = [services(store), services(peer)];
    const alice = await account(store, "alice");
    const groupId = id();
    await one.groups.createGroup(alice.deviceId, await createGroupBody(groupId, alice.deviceId));
    const sends = Array.from({ length: 12 }, () => ({ messageId: id(), epoch: 0, ciphertext: `x-${id()}` }));
    const results = await Promise.all(
      sends.flatMap((body) => [
        one.delivery.sendMessage(alice.deviceId, groupId, body),
        two.delivery.sendMessage(alice.deviceId, groupId, body),
      ]),
    );
    for (let i = 0; i < sends.length; i++) {
      const [x, y] = [results[2 * i]!, results[2 * i + 1]!];
      expect(x.seq).toBe(y.seq);
      expect([x.duplicate, y.duplicate].filter(Boolean)).toHaveLength(1);
    }
    expect(new Set(results.map((r) => r.seq))).toEqual(new Set(Array.from({ length: 12 }, (_, i) => i + 1)));
    expect((await store.groups.find(groupId))?.lastSeq).toBe(12);
    await expect(
      two.delivery.sendMessage(alice.deviceId, groupId, { ...sends[0]!, ciphertext: "different" }),
    ).rejects.toMatchObject({ code: "VOLLY_E_MESSAGE_ID_CONFLICT" });
  });

  /**
   * Alice, bob and dave (members of one group of quota 200 bytes, their accounts' 100) and carol (not a
   * member) send `sends` all in one tick, so in one batch: on PostgreSQL their checks and appends
   * are deferred to the batch's end, and with `known` (dave has sent "d" first, so the node knows
   * the group's policy) their seq allocations too. Each case runs on a fresh store, as a failure
   * makes the next second's batches start with savepoints. Returns each send's answer or error, the
   * log and the counters after the batch (without dave's first message).
   */
  const sendInOneBatch = async (
    known: boolean,
    sends: {
      from: "alice" | "bob" | "carol" | "dave";
      text: string;
      messageId?: string;
      anonymous?: boolean;
      epoch?: number;
    }[],
  ) => {
    const limits = { ...DEFAULT_SERVICE_LIMITS, accountBytes: 100, groupBytes: 200 };
    const { delivery } = createServices(
      { store, bus: createInProcessBus(), now: Date.now },
      DEFAULT_CIPHERSUITE,
      limits,
    );
    const who = {
      alice: await account(store, "alice"),
      bob: await account(store, "bob"),
      carol: await account(store, "carol"),
      dave: await account(store, "dave"),
    };
    const groupId = await group(store, [who.alice.deviceId, who.bob.deviceId, who.dave.deviceId]);
    const send = (
      from: keyof typeof who,
      ciphertext: string,
      messageId = id(),
      anonymous = false,
      epoch = 0,
    ) =>
      delivery.sendMessage(
        who[from].deviceId,
        groupId,
        { messageId, epoch, ciphertext },
        anonymous ? undefined : { accountId: who[from].accountId, handle: from },
      );
    if (known) await send("dave", "d");
    const answers = await Promise.all(
      sends.map(({ from, text, messageId, anonymous, epoch }) =>
        send(from, text, messageId, anonymous, epoch).catch((error: unknown) => error),
      ),
    );
    const offset = known ? 1 : 0;
    const log = await store.log.readAfter(groupId, offset, { limit: 100 });
    const bytes = async (a: { accountId: string }) => store.storage.accountBytes(a.accountId);
    return {
      answers,
      log: log.map((e) => [e.seq - offset, e.payload]),
      lastSeq: ((await store.groups.find(groupId))?.lastSeq ?? 0) - offset,
      accountBytes: {
        alice: await bytes(who.alice),
        bob: await bytes(who.bob),
        carol: await bytes(who.carol),
      },
      groupBytes: ((await store.storage.groupBytes(groupId)) ?? 0) - offset,
      /** A seq of the batch (1: its first) as the log numbers it. */
      at: (seq: number) => seq + offset,
    };
  };

  /** The batch stored alice's "a1", bob's "b1" and alice's "a2", in that order, and charged only those. */
  const expectA1B1A2 = (batch: Awaited<ReturnType<typeof sendInOneBatch>>) => {
    expect(batch.log).toEqual([
      [1, "a1"],
      [2, "b1"],
      [3, "a2"],
    ]);
    expect(batch).toMatchObject({ lastSeq: 3, accountBytes: { alice: 4, bob: 2, carol: 0 }, groupBytes: 6 });
  };

  for (const known of [false, true]) {
    const when = known ? "(the group's policy known: sends deferred whole)" : "(the group's first sends)";

    it(`delivery: in one batch a non-member's send fails alone; the others are stored gap-free ${when}`, async () => {
      const batch = await sendInOneBatch(known, [
        { from: "alice", text: "a1" },
        { from: "carol", text: "c1" },
        { from: "bob", text: "b1" },
        { from: "alice", text: "a2" },
      ]);
      expect(batch.answers[1]).toMatchObject({ code: "VOLLY_E_NOT_GROUP_MEMBER" });
      expect([batch.answers[0], batch.answers[2], batch.answers[3]]).toEqual(
        [1, 2, 3].map((n) => ({ seq: batch.at(n), duplicate: false })),
      );
      expectA1B1A2(batch);
    });

    it(`delivery: in one batch a send over its account's quota fails alone; the others are stored gap-free ${when}`, async () => {
      const batch = await sendInOneBatch(known, [
        { from: "bob", text: "b".repeat(60) },
        { from: "alice", text: "a1" },
        { from: "bob", text: "B".repeat(60) },
        { from: "alice", text: "a2" },
      ]);
      expect(batch.answers[2]).toMatchObject({
        code: "VOLLY_E_QUOTA_EXCEEDED",
        details: { scope: "account", limit: 100, used: 60, size: 60 },
      });
      expect([batch.answers[0], batch.answers[1], batch.answers[3]]).toEqual(
        [1, 2, 3].map((n) => ({ seq: batch.at(n), duplicate: false })),
      );
      expect(batch.log.map(([seq]) => seq)).toEqual([1, 2, 3]);
      expect(batch).toMatchObject({
        lastSeq: 3,
        accountBytes: { alice: 4, bob: 60, carol: 0 },
        groupBytes: 64,
      });
    });

    it(`delivery: in one batch a message id sent twice is stored once and answered as a duplicate ${when}`, async () => {
      const repeated = id();
      const batch = await sendInOneBatch(known, [
        { from: "alice", text: "a1", messageId: repeated },
        { from: "bob", text: "b1" },
        { from: "alice", text: "a1", messageId: repeated },
        { from: "alice", text: "a2" },
      ]);
      expect(batch.answers).toEqual([
        { seq: batch.at(1), duplicate: false },
        { seq: batch.at(2), duplicate: false },
        { seq: batch.at(1), duplicate: true },
        { seq: batch.at(3), duplicate: false },
      ]);
      expectA1B1A2(batch);
    });

    it(`delivery: in one batch a send for an epoch the group has not reached, and one over the group's quota, fail alone ${when}`, async () => {
      const batch = await sendInOneBatch(known, [
        { from: "alice", text: "a".repeat(90) },
        { from: "bob", text: "b1", epoch: 1 },
        { from: "bob", text: "b".repeat(90) },
        { from: "dave", text: "d".repeat(30) },
        { from: "alice", text: "a2" },
      ]);
      expect(batch.answers[1]).toMatchObject({ code: "VOLLY_E_BAD_REQUEST", details: { currentEpoch: 0 } });
      expect(batch.answers[3]).toMatchObject({
        code: "VOLLY_E_QUOTA_EXCEEDED",
        details: { scope: "group", limit: 200 },
      });
      expect([batch.answers[0], batch.answers[2], batch.answers[4]]).toEqual(
        [1, 2, 3].map((n) => ({ seq: batch.at(n), duplicate: false })),
      );
      expect(batch.log.map(([seq]) => seq)).toEqual([1, 2, 3]);
      expect(batch).toMatchObject({ lastSeq: 3, accountBytes: { alice: 92, bob: 90 }, groupBytes: 182 });
    });

    it(`delivery: in one batch a send that cannot be deferred keeps its place in the log between deferred ones ${when}`, async () => {
      const batch = await sendInOneBatch(known, [
        { from: "alice", text: "a1" },
        { from: "bob", text: "b1", anonymous: true },
        { from: "alice", text: "a2" },
        { from: "bob", text: "b2" },
      ]);
      expect(batch.answers).toEqual([1, 2, 3, 4].map((n) => ({ seq: batch.at(n), duplicate: false })));
      expect(batch.log).toEqual([
        [1, "a1"],
        [2, "b1"],
        [3, "a2"],
        [4, "b2"],
      ]);
      expect(batch).toMatchObject({
        lastSeq: 4,
        accountBytes: { alice: 4, bob: 4, carol: 0 },
        groupBytes: 8,
      });
    });
  }

  it("delivery across nodes: creating one group id on two nodes at once gives one VOLLY_E_GROUP_EXISTS", async () => {
    const [one, two] = [services(store), services(peer)];
    const alice = await account(store, "alice");
    const bob = await account(store, "bob");
    const groupId = id();
    const [forAlice, forBob] = [
      await createGroupBody(groupId, alice.deviceId),
      await createGroupBody(groupId, bob.deviceId),
    ];
    const results = await Promise.allSettled([
      one.groups.createGroup(alice.deviceId, forAlice),
      two.groups.createGroup(bob.deviceId, forBob),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")?.reason).toMatchObject({
      code: "VOLLY_E_GROUP_EXISTS",
    });
  });

  it("device links: claimed once across nodes, only while open and unexpired; approved once", async () => {
    const alice = await account(store, "alice");
    const linkId = id();
    await store.deviceLinks.insert({
      id: linkId,
      accountId: alice.accountId,
      creatorDeviceId: alice.deviceId,
      expiresAt: BIG_TIME,
      status: "open",
      createdAt: 1,
    });
    expect(await store.deviceLinks.find(linkId)).toEqual({
      id: linkId,
      accountId: alice.accountId,
      creatorDeviceId: alice.deviceId,
      expiresAt: BIG_TIME,
      status: "open",
      createdAt: 1,
    });
    const claim = (key: string) => ({ key, name: "laptop", proof: `proof-${key}` });
    expect(await store.deviceLinks.claim(linkId, claim("k"), BIG_TIME)).toBe(false); // expired
    const results = await Promise.all([
      store.deviceLinks.claim(linkId, claim("one"), 5),
      peer.deviceLinks.claim(linkId, claim("two"), 5),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const claimed = await store.deviceLinks.find(linkId);
    expect(claimed?.status).toBe("claimed");
    expect(claimed?.claimedProof).toBe(`proof-${claimed?.claimedKey}`);
    expect(await store.deviceLinks.approve(linkId, alice.deviceId)).toBe(true);
    expect(await store.deviceLinks.approve(linkId, alice.deviceId)).toBe(false);
    expect(await store.deviceLinks.find(linkId)).toMatchObject({
      status: "approved",
      deviceId: alice.deviceId,
    });
    expect(await store.deviceLinks.find(id())).toBeUndefined();
  });

  it("device links: declined only while claimed and unexpired; a decline and an approval race, one wins", async () => {
    const alice = await account(store, "alice");
    const link = async () => {
      const linkId = id();
      await store.deviceLinks.insert({
        id: linkId,
        accountId: alice.accountId,
        creatorDeviceId: alice.deviceId,
        expiresAt: 1_000,
        status: "open",
        createdAt: 1,
      });
      return linkId;
    };
    const claim = { key: "k", name: "laptop", proof: "p" };
    const linkId = await link();
    expect(await store.deviceLinks.decline(linkId, 5)).toBe(false); // open: nothing to decline
    expect(await store.deviceLinks.claim(linkId, claim, 5)).toBe(true);
    expect(await store.deviceLinks.decline(linkId, 1_000)).toBe(false); // expired
    expect(await store.deviceLinks.decline(linkId, 5)).toBe(true);
    expect(await store.deviceLinks.decline(linkId, 5)).toBe(false);
    expect(await store.deviceLinks.find(linkId)).toMatchObject({
      status: "declined",
      claimedKey: "k",
      claimedName: "laptop",
      claimedProof: "p",
    });
    expect(await store.deviceLinks.approve(linkId, alice.deviceId)).toBe(false);
    expect(await store.deviceLinks.claim(linkId, claim, 5)).toBe(false);
    expect((await store.deviceLinks.find(linkId))?.deviceId).toBeUndefined();

    const raced = await link();
    await store.deviceLinks.claim(raced, claim, 5);
    const [approved, declined] = await Promise.all([
      store.deviceLinks.approve(raced, alice.deviceId),
      peer.deviceLinks.decline(raced, 5),
    ]);
    expect([approved, declined].filter(Boolean)).toHaveLength(1);
    expect((await store.deviceLinks.find(raced))?.status).toBe(approved ? "approved" : "declined");
  });

  it("revocation: a device is revoked once, leaves `existing`, and loses its sessions and unclaimed key packages", async () => {
    const alice = await account(store, "alice");
    const bob = await account(store, "bob");
    const revokedSession = `t-${id()}`;
    await store.auth.insertSession({
      tokenHash: revokedSession,
      deviceId: alice.deviceId,
      expiresAt: BIG_TIME,
    });
    const session = `t-${id()}`;
    await store.auth.insertSession({ tokenHash: session, deviceId: bob.deviceId, expiresAt: BIG_TIME });
    await store.keyPackages.insertMany([
      { ref: id(), deviceId: alice.deviceId, data: "one", lastResort: false, createdAt: 1 },
      { ref: id(), deviceId: alice.deviceId, data: "last", lastResort: true, createdAt: 1 },
    ]);
    expect(await store.devices.revoke(alice.deviceId, BIG_TIME)).toBe(true);
    expect(await store.devices.revoke(alice.deviceId, 7)).toBe(false);
    expect((await store.devices.findById(alice.deviceId))?.revokedAt).toBe(BIG_TIME);
    expect((await store.devices.listByAccount(alice.accountId))[0]?.revokedAt).toBe(BIG_TIME);
    expect((await store.devices.findById(bob.deviceId))?.revokedAt).toBeUndefined();
    expect(await store.devices.existing([alice.deviceId, bob.deviceId])).toEqual(new Set([bob.deviceId]));
    const both = await store.devices.findMany([alice.deviceId, bob.deviceId]);
    expect(both.find((d) => d.id === alice.deviceId)?.revokedAt).toBe(BIG_TIME); // revoked ones too
    expect(both.find((d) => d.id === bob.deviceId)?.revokedAt).toBeUndefined();
    await store.auth.deleteForDevice(alice.deviceId);
    await store.keyPackages.deleteUnclaimed(alice.deviceId);
    expect(await store.keyPackages.count(alice.deviceId)).toEqual({ available: 0, hasLastResort: false });
    expect(await store.auth.findSession(revokedSession, 1)).toBeUndefined();
    expect(await store.auth.findSession(session, 1)).toMatchObject({ deviceId: bob.deviceId });
  });

  it("rate limits (GCRA): a key allows `limit` per window at once, then one per interval; nodes share it", async () => {
    const take = (s: Store, now: number, cost = 1) => s.rateLimits.take("k", cost, 4, 1_000, now);
    const t0 = BIG_TIME;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => take(i % 2 ? peer : store, t0)));
    expect(results.filter((r) => r.allowed)).toHaveLength(4);
    expect(await take(store, t0)).toEqual({ allowed: false, retryAfterMs: 250 });
    expect(await take(store, t0 + 250)).toEqual({ allowed: true });
    expect(await take(store, t0 + 250, 2)).toEqual({ allowed: false, retryAfterMs: 500 });
    // a take inside a transaction that rolls back takes nothing
    await rejection(
      store.transaction(async (tx) => {
        await tx.rateLimits.take("k", 1, 4, 1_000, t0 + 500);
        throw new Error("rolled back");
      }),
    );
    expect(await take(store, t0 + 500)).toEqual({ allowed: true });
    expect(await store.rateLimits.purge(t0 + 500)).toBe(0);
    expect(await store.rateLimits.purge(t0 + 1_500)).toBe(1);
    expect(await take(store, t0 + 1_500, 4)).toEqual({ allowed: true });
  });

  it("storage counters: charged by group and by the sender's account, beyond 2^32, and credited by pruning", async () => {
    const a = await account(store, "alice");
    const groupId = await group(store, [a.deviceId]);
    const big = 2 ** 40;
    expect(await store.storage.chargeGroup(groupId, big)).toBe(big);
    expect(await store.storage.chargeAccountOf(a.deviceId, big)).toEqual({
      accountId: a.accountId,
      storedBytes: big,
    });
    expect(await store.storage.chargeGroup("missing", 1)).toBeUndefined();
    expect(await store.storage.chargeAccountOf("missing", 1)).toBeUndefined();
    expect(await store.storage.chargeAccount(a.accountId, 0)).toBe(big);
    expect(await store.storage.chargeAccount("missing", 1)).toBeUndefined();
    const next = await store.transaction((tx) => tx.groups.nextSeq(groupId, 11));
    expect(next).toMatchObject({ lastSeq: 1, storedBytes: big + 11 });
    await store.log.append(entry(groupId, 1, a.deviceId, { payload: "x".repeat(11) }));
    await store.storage.chargeAccountOf(a.deviceId, 11);
    await store.groups.putTree(groupId, 1, "t".repeat(5), a.accountId);
    await store.groupState.putGroupInfo(groupId, 1, "i".repeat(3), a.accountId);
    await store.groupState.putGroupInfo(groupId, 2, "i".repeat(4), a.accountId);
    await store.storage.chargeGroup(groupId, 12);
    await store.storage.chargeAccountOf(a.deviceId, 12);
    // two nodes delete the same entry: one credits it
    const deleted = await Promise.all(
      [store, peer].map((s) =>
        s.transaction((tx) => tx.retention.deleteEntries({ groupId, afterSeq: 0, upToSeq: 1 })),
      ),
    );
    expect(deleted.sort()).toEqual([0, 1]);
    // the GroupInfo of epoch 1 (below the latest) goes; the tree of epoch 1 (current: 2) goes too
    expect(await store.transaction((tx) => tx.retention.pruneEpochs(groupId, 2))).toBe(2);
    expect(await store.storage.groupBytes(groupId)).toBe(big + 4);
    expect(await store.storage.accountBytes(a.accountId)).toBe(big + 4);
  });

  it("append and account charge together: both or neither (a taken message id, a rolled-back transaction)", async () => {
    const a = await account(store, "alice");
    const groupId = await group(store, [a.deviceId]);
    const first = entry(groupId, 1, a.deviceId, { payload: "x".repeat(7) });
    expect(await store.log.appendCharging(first, a.accountId, 7)).toBe(7);
    expect(await store.log.findByMessageId(groupId, first.messageId)).toEqual(first);
    // a retried send: the same message id again is a conflict, and charges nothing
    const retry = entry(groupId, 2, a.deviceId, { messageId: first.messageId });
    expectConflict(await rejection(store.log.appendCharging(retry, a.accountId, 5)), "log entry");
    expect(await store.storage.accountBytes(a.accountId)).toBe(7);
    // inside a transaction that rolls back, neither the entry nor the charge stays
    const rolledBack = entry(groupId, 2, a.deviceId);
    await rejection(
      store.transaction(async (tx) => {
        expect(await tx.log.appendCharging(rolledBack, a.accountId, 5)).toBe(12);
        throw new Error("rolled back");
      }),
    );
    expect(await store.log.findByMessageId(groupId, rolledBack.messageId)).toBeUndefined();
    expect(await store.storage.accountBytes(a.accountId)).toBe(7);
    // an unknown account: the entry is appended, nothing is charged
    const orphan = entry(groupId, 2, a.deviceId);
    expect(await store.log.appendCharging(orphan, "missing", 5)).toBeUndefined();
    expect((await store.log.readAfter(groupId, 0, { limit: 10 })).map((e) => e.seq)).toEqual([1, 2]);
  });
}
