import {
  addMembers,
  createGroup,
  encryptApplication,
  type GeneratedKeyPackage,
  generateKeyPackage,
  groupEpoch,
  groupInfoForExternalJoin,
  isRemovedFromGroup,
  joinExternally,
  joinFromWelcome,
  type MlsGroup,
  processMessage,
  publicGroupState,
  rejoinExternally,
  removeMembers,
} from "@volly/crypto";
import {
  type CommitBody,
  type CreateGroupBody,
  fromBase64Url,
  fromUtf8,
  toBase64Url,
  utf8,
} from "@volly/protocol";
import type { Repositories } from "../../src/store/types.js";
import type { TestKeys } from "./identity.js";
import { testSuite, toIdentity } from "./keys-crypto.js";

/**
 * Real MLS groups for server tests: the members' group states live here, the commits they make are
 * real public commits (RFC 9420 §6.2) that the delivery service verifies. Which commit won an epoch
 * is read back from the server's log, so a test only posts commits; the members catch up (process
 * the winning commit, or join from its Welcome) when they next commit.
 */

/** A device whose keys the tests hold. */
export interface MlsTestDevice {
  accountId: string;
  deviceId: string;
  keys: TestKeys;
}

/** A device, or the id of one {@link rememberDevice} was told about. */
export type DeviceRef = MlsTestDevice | string;

/** What the helpers read of the server's store: the epoch, the log's commits, the stored GroupInfo. */
export type GroupReader = Pick<Repositories, "groups" | "log" | "groupState">;

const devices = new Map<string, MlsTestDevice>();

/** Remembers a device's keys, so commits can add it (and it can commit) by its id. */
export function rememberDevice(device: MlsTestDevice): void {
  devices.set(device.deviceId, device);
}

function deviceOf(ref: DeviceRef): MlsTestDevice {
  const device = typeof ref === "string" ? devices.get(ref) : ref;
  if (!device) throw new Error(`no keys for device ${String(ref)}: register it through the helpers`);
  devices.set(device.deviceId, device);
  return device;
}

/** A member's view of one group: its state (undefined while not a member) and the epoch it reached. */
interface MemberRecord {
  state: MlsGroup | undefined;
  epoch: number;
}

/** What a commit this helper built does once it wins its epoch. */
interface BuiltCommit {
  committer: string;
  newGroup: MlsGroup;
  welcome?: Uint8Array;
  ratchetTree: Uint8Array;
  joiners: Map<string, GeneratedKeyPackage>;
}

const members = new Map<string, Map<string, MemberRecord>>();
const built = new Map<string, BuiltCommit>();

function recordOf(groupId: string, deviceId: string): MemberRecord {
  const group = members.get(groupId) ?? new Map<string, MemberRecord>();
  members.set(groupId, group);
  const record = group.get(deviceId) ?? { state: undefined, epoch: 0 };
  group.set(deviceId, record);
  return record;
}

async function keyPackageOf(device: MlsTestDevice): Promise<GeneratedKeyPackage> {
  return generateKeyPackage(await testSuite(), toIdentity(device.keys), {
    accountId: device.accountId,
    deviceId: device.deviceId,
  });
}

/**
 * The body of POST /v1/groups for `owner`: a new MLS group with its one leaf, and its epoch-0
 * GroupInfo and ratchet tree. `owner` is the group's first member here.
 */
export async function createGroupBody(groupId: string, owner: DeviceRef): Promise<CreateGroupBody> {
  const suite = await testSuite();
  const device = deviceOf(owner);
  const group = await createGroup(suite, groupId, await keyPackageOf(device));
  recordOf(groupId, device.deviceId).state = group;
  const state = await publicGroupState(suite, group);
  return {
    groupId,
    groupInfo: toBase64Url(state.groupInfo),
    ratchetTree: toBase64Url(state.ratchetTree),
  };
}

/**
 * Brings `deviceId`'s state of the group to the server's current epoch: for each epoch it missed,
 * the commit that won it (from the log) is adopted (its own), processed (a member's), or joined from
 * (a Welcome this helper built for it). Returns the state, or undefined when it is not a member.
 */
export async function memberState(
  store: GroupReader,
  groupId: string,
  deviceId: string,
): Promise<MlsGroup | undefined> {
  const suite = await testSuite();
  const group = await store.groups.find(groupId);
  if (!group) throw new Error(`no group ${groupId}`);
  const record = recordOf(groupId, deviceId);
  for (let epoch = record.epoch; epoch < group.epoch; epoch++) {
    const payload = (await store.log.findCommitAt(groupId, epoch))?.payload;
    if (payload === undefined) throw new Error(`the commit of epoch ${epoch} is not in the log (pruned?)`);
    const commit = built.get(payload);
    if (commit?.committer === deviceId) {
      record.state = commit.newGroup;
    } else if (record.state && !isRemovedFromGroup(record.state)) {
      record.state = (await processMessage(suite, record.state, fromBase64Url(payload))).newGroup;
    } else {
      const joiner = commit?.joiners.get(deviceId);
      record.state =
        joiner && commit?.welcome
          ? await joinFromWelcome(suite, commit.welcome, commit.ratchetTree, joiner)
          : undefined;
    }
    record.epoch = epoch + 1;
  }
  if (record.state && isRemovedFromGroup(record.state)) record.state = undefined;
  return record.state;
}

/** Options of {@link commitBody}. */
export interface CommitBodyOptions {
  /** Send the Welcome once per added device (`welcomes`, as older SDKs did) instead of once. */
  perDeviceWelcomes?: boolean;
}

/**
 * A real commit by `committer` for the group's current epoch on the server, as the SDK builds it:
 * Adds of `add` (fresh key packages of theirs) with one Welcome, or Removes of `remove`, or — with
 * neither — an external commit by which `committer` rejoins in place of its own leaf (RFC 9420
 * §12.4.3.2, from the GroupInfo the server stores), the one commit Volly makes that changes no
 * membership. Every body carries the new epoch's tree and GroupInfo. Nothing is posted.
 */
export async function commitBody(
  store: GroupReader,
  groupId: string,
  committer: DeviceRef,
  add: readonly DeviceRef[] = [],
  remove: readonly DeviceRef[] = [],
  options: CommitBodyOptions = {},
): Promise<CommitBody> {
  const device = deviceOf(committer);
  if (add.length > 0 && remove.length > 0) {
    throw new Error("@volly/crypto builds commits that add or remove, not both");
  }
  // A rejoin needs no state of the group, only what the server stores (also once the log is pruned).
  if (add.length === 0 && remove.length === 0) return rejoinBody(store, groupId, device);
  const state = await memberState(store, groupId, device.deviceId);
  if (!state) throw new Error(`${device.deviceId} is not a member of ${groupId}`);
  return buildCommit(state, device, add, remove, options);
}

/**
 * The bodies that create a group owned by `owner` and add `others` in its first commit, for tests
 * that talk to a server without a handle on its store.
 */
export async function newGroupBodies(
  groupId: string,
  owner: DeviceRef,
  others: readonly DeviceRef[],
): Promise<{ create: CreateGroupBody; commit: CommitBody }> {
  const create = await createGroupBody(groupId, owner);
  const device = deviceOf(owner);
  const state = recordOf(groupId, device.deviceId).state;
  if (!state) throw new Error("unreachable: the group was just created");
  return { create, commit: await buildCommit(state, device, others, [], {}) };
}

/** Adds or removes, on `state` (the committer's, at the server's current epoch). */
async function buildCommit(
  state: MlsGroup,
  device: MlsTestDevice,
  add: readonly DeviceRef[],
  remove: readonly DeviceRef[],
  options: CommitBodyOptions,
): Promise<CommitBody> {
  const suite = await testSuite();
  if (add.length > 0) {
    const joiners = new Map<string, GeneratedKeyPackage>();
    for (const ref of add) {
      const added = deviceOf(ref);
      joiners.set(added.deviceId, await keyPackageOf(added));
    }
    const result = await addMembers(
      suite,
      state,
      [...joiners.values()].map((k) => k.keyPackage),
    );
    built.set(toBase64Url(result.commit), {
      committer: device.deviceId,
      newGroup: result.newGroup,
      welcome: result.welcome,
      ratchetTree: result.ratchetTree,
      joiners,
    });
    const welcome = toBase64Url(result.welcome);
    const addDeviceIds = [...joiners.keys()];
    return {
      epoch: result.epoch,
      commit: toBase64Url(result.commit),
      addDeviceIds,
      removeDeviceIds: [],
      ...(options.perDeviceWelcomes
        ? { welcomes: addDeviceIds.map((deviceId) => ({ deviceId, welcome })) }
        : { welcome }),
      ratchetTree: toBase64Url(result.ratchetTree),
      groupInfo: toBase64Url(await groupInfoForExternalJoin(suite, result.newGroup)),
    };
  }
  const removeDeviceIds = remove.map((ref) => (typeof ref === "string" ? ref : ref.deviceId));
  const result = await removeMembers(suite, state, removeDeviceIds);
  built.set(toBase64Url(result.commit), {
    committer: device.deviceId,
    newGroup: result.newGroup,
    ratchetTree: result.ratchetTree,
    joiners: new Map(),
  });
  return {
    epoch: result.epoch,
    commit: toBase64Url(result.commit),
    addDeviceIds: [],
    removeDeviceIds,
    ratchetTree: toBase64Url(result.ratchetTree),
    groupInfo: toBase64Url(await groupInfoForExternalJoin(suite, result.newGroup)),
  };
}

/** An external commit by which `device` rejoins in place of its own leaf (as the SDK's resync). */
/**
 * An external commit by which `device`, not a member, joins the group with a new leaf (RFC 9420
 * §12.4.3.2), from the GroupInfo the server stores; it declares `addDeviceIds: [its id]`. Nothing is
 * posted.
 */
export async function externalJoinBody(
  store: GroupReader,
  groupId: string,
  joiner: DeviceRef,
): Promise<CommitBody> {
  return rejoinBody(store, groupId, deviceOf(joiner), true);
}

async function rejoinBody(
  store: GroupReader,
  groupId: string,
  device: MlsTestDevice,
  join = false,
): Promise<CommitBody> {
  const suite = await testSuite();
  const group = await store.groups.find(groupId);
  if (!group) throw new Error(`no group ${groupId}`);
  const [groupInfo, ratchetTree] = await Promise.all([
    store.groupState.findGroupInfo(groupId, group.epoch),
    store.groups.findTree(groupId, group.epoch),
  ]);
  if (groupInfo === undefined || ratchetTree === undefined) {
    throw new Error(`no GroupInfo stored for ${groupId} at epoch ${group.epoch}`);
  }
  const rejoin = await (join ? joinExternally : rejoinExternally)(
    suite,
    fromBase64Url(groupInfo),
    fromBase64Url(ratchetTree),
    toIdentity(device.keys),
    { accountId: device.accountId, deviceId: device.deviceId },
  );
  built.set(toBase64Url(rejoin.commit), {
    committer: device.deviceId,
    newGroup: rejoin.newGroup,
    ratchetTree: rejoin.ratchetTree,
    joiners: new Map(),
  });
  return {
    epoch: rejoin.epoch,
    commit: toBase64Url(rejoin.commit),
    addDeviceIds: join ? [device.deviceId] : [],
    removeDeviceIds: [],
    welcomes: [],
    ratchetTree: toBase64Url(rejoin.ratchetTree),
    groupInfo: toBase64Url(await groupInfoForExternalJoin(suite, rejoin.newGroup)),
  };
}

/**
 * Encrypts `text` as `device`'s application message (RFC 9420 §6.3) at the group's current epoch on
 * the server, and keeps the advanced state. Nothing is posted.
 */
export async function encryptAs(
  store: GroupReader,
  groupId: string,
  device: DeviceRef,
  text: string,
): Promise<{ epoch: number; ciphertext: string }> {
  const { deviceId } = deviceOf(device);
  const state = await memberState(store, groupId, deviceId);
  if (!state) throw new Error(`${deviceId} is not a member of ${groupId}`);
  const sent = await encryptApplication(await testSuite(), state, utf8(text));
  recordOf(groupId, deviceId).state = sent.newGroup;
  return { epoch: groupEpoch(sent.newGroup), ciphertext: toBase64Url(sent.ciphertext) };
}

/** Decrypts an application message as `device` (after catching up with the server's commits). */
export async function decryptAs(
  store: GroupReader,
  groupId: string,
  device: DeviceRef,
  ciphertext: string,
): Promise<string> {
  const { deviceId } = deviceOf(device);
  const state = await memberState(store, groupId, deviceId);
  if (!state) throw new Error(`${deviceId} is not a member of ${groupId}`);
  const got = await processMessage(await testSuite(), state, fromBase64Url(ciphertext));
  recordOf(groupId, deviceId).state = got.newGroup;
  if (got.kind !== "application") throw new Error("expected an application message");
  return fromUtf8(got.plaintext);
}
