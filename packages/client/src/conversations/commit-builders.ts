import { addMembers, type MlsGroup, type MlsSuite, removeMembers } from "@volly/crypto";
import { toBase64Url } from "@volly/protocol";
import type { VerifiedKeyPackage } from "./directory.js";
import type { CommitDraft } from "./resync.js";

/** A commit built on the current group state, ready for the delivery service once its GroupInfo is attached. */
export interface PreparedCommit {
  /** The state to adopt once the delivery service accepted the commit. */
  newGroup: MlsGroup;
  body: CommitDraft;
}

/**
 * A commit of Add proposals for the devices of `keyPackages` (RFC 9420 §12.1.1), with one Welcome
 * for all of them (§12.4.3.1) and the new epoch's ratchet tree, served out of band.
 *
 * @param keyPackages claimed and verified key packages (see `Directory.claimVerified`)
 */
export async function buildAddCommit(
  suite: MlsSuite,
  group: MlsGroup,
  keyPackages: readonly VerifiedKeyPackage[],
): Promise<PreparedCommit> {
  const added = await addMembers(
    suite,
    group,
    keyPackages.map((k) => k.keyPackage),
  );
  return {
    newGroup: added.newGroup,
    body: {
      epoch: added.epoch,
      commit: toBase64Url(added.commit),
      addDeviceIds: keyPackages.map((k) => k.deviceId),
      removeDeviceIds: [],
      // One Welcome for all the added devices, sent and stored once (it grows with their number).
      welcome: toBase64Url(added.welcome),
      ratchetTree: toBase64Url(added.ratchetTree),
    },
  };
}

/**
 * The one builder of Remove commits (RFC 9420 §12.1.3): removing members (`removeMember`) and
 * committing departures both use it. The commit carries nothing but the Removes. Devices in
 * `excluded` are left out of the body's `removeDeviceIds` (the delivery service refused them as
 * already gone) while their leaves are still removed from the tree.
 *
 * @param leafIndices the leaves to remove (RFC 9420 §4.1.1)
 * @throws as `removeMembers` of @volly/crypto (VOLLY_E_USAGE for this device's own leaf)
 */
export async function buildRemoveCommit(
  suite: MlsSuite,
  group: MlsGroup,
  leafIndices: readonly number[],
  excluded: ReadonlySet<string>,
): Promise<PreparedCommit> {
  const removal = await removeMembers(suite, group, leafIndices);
  return {
    newGroup: removal.newGroup,
    body: {
      epoch: removal.epoch,
      commit: toBase64Url(removal.commit),
      addDeviceIds: [],
      // The delivery service accepts devices whose membership ended at their departure.
      removeDeviceIds: removal.removed.map((m) => m.credential.deviceId).filter((d) => !excluded.has(d)),
      welcomes: [],
      ratchetTree: toBase64Url(removal.ratchetTree),
    },
  };
}
