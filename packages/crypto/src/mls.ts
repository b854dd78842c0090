import { ed25519 } from "@noble/curves/ed25519.js";
import { fromUtf8, toBase64Url, utf8, VollyError } from "@volly/protocol";
import {
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientState,
  ciphersuites,
  createApplicationMessage,
  createCommit,
  decodeGroupState,
  defaultCapabilities,
  emptyPskIndex,
  encodeGroupState,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  joinGroup,
  type KeyPackage,
  type MLSMessage,
  createGroup as mlsCreateGroup,
  mlsExporter,
  type PrivateMessage,
  type ProposalAdd,
  type ProposalRemove,
  type PublicMessage,
  processPrivateMessage,
  processPublicMessage,
  type RatchetTree,
  type Welcome,
} from "ts-mls";
import { verifyGroupInfoSignature } from "ts-mls/groupInfo.js";
import { makeKeyPackageRef, verifyKeyPackage } from "ts-mls/keyPackage.js";
import { verifyLeafNodeSignatureKeyPackage } from "ts-mls/leafNode.js";
import { CryptoVerificationError, ValidationError } from "ts-mls/mlsError.js";
import { decryptSenderData } from "ts-mls/privateMessage.js";
import { encodeRatchetTree } from "ts-mls/ratchetTree.js";
import { decryptGroupInfo, decryptGroupSecrets } from "ts-mls/welcome.js";
import type {
  AddMembersResult,
  CredentialIdentity,
  DeviceIdentity,
  GeneratedKeyPackage,
  GroupMember,
  KeyPackageInfo,
  MlsGroup,
  ProcessedMessage,
  RemoveMembersResult,
} from "./api.js";
import { credentialIdentityFromBytes, credentialIdentityToBytes } from "./credential.js";
import { bytesEqual, decodeTree, decodeWholeMessage } from "./mls-decode.js";
import {
  abort,
  claim,
  clientConfig,
  decodePrivateKeyPackage,
  decryptFailed,
  encodePrivateKeyPackage,
  finish,
  identityOf,
  isSpent,
  leafAt,
  liveState,
  peekState,
  registerSuiteImpl,
  suiteImpl,
  toDecryptError,
  wrapGroup,
} from "./mls-internal.js";
import { mlsCiphersuiteImpl } from "./mls-provider.js";

/** The ciphersuite Volly uses unless configured otherwise (X-Wing hybrid post-quantum KEM). */
export const DEFAULT_CIPHERSUITE = "MLS_256_XWING_AES256GCM_SHA512_Ed25519";

/**
 * How long a new key package is valid (RFC 9420 §7.2 `lifetime`), in seconds: 90 days. Committers
 * refuse to add an expired key package, so devices should replace their uploaded packages (the
 * last-resort one included) well before that, e.g. monthly.
 */
export const KEY_PACKAGE_LIFETIME_SECONDS = 90 * 24 * 3600;
/** Tolerated clock skew (seconds) between the device that made a key package and the one adding it. */
const CLOCK_SKEW_SECONDS = 24 * 3600;

/** An MLS ciphersuite implementation (opaque), obtained once with {@link loadSuite} and reused. */
export interface MlsSuite {
  readonly name: string;
}

const suiteCache = new Map<string, Promise<MlsSuite>>();

/**
 * Loads a ciphersuite by its RFC 9420 §17.1 / ts-mls name, e.g. `MLS_256_XWING_AES256GCM_SHA512_Ed25519`
 * (default) or `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519`. Implementations are cached per name;
 * every other function takes the returned suite, so the suite is configuration, never hard-coded.
 *
 * @throws Error on an unknown name, a suite whose signature scheme is not Ed25519 (device identities
 *   are Ed25519, RFC 8032), or one whose optional crypto dependency is not installed
 */
export async function loadSuite(name: string = DEFAULT_CIPHERSUITE): Promise<MlsSuite> {
  if (typeof name !== "string" || !Object.hasOwn(ciphersuites, name)) {
    throw new Error(`Unknown MLS ciphersuite "${String(name)}".`);
  }
  const ciphersuite = getCiphersuiteFromName(name as CiphersuiteName);
  if (ciphersuite.signature !== "Ed25519") {
    throw new Error(`MLS ciphersuite ${name} is not supported: Volly device identities are Ed25519.`);
  }
  let pending = suiteCache.get(name);
  if (pending === undefined) {
    pending = mlsCiphersuiteImpl(ciphersuite).then((impl) => {
      const suite: MlsSuite = Object.freeze({ name });
      registerSuiteImpl(suite, impl);
      return suite;
    });
    suiteCache.set(name, pending);
    pending.catch(() => suiteCache.delete(name));
  }
  return pending;
}

/**
 * Generates a key package (RFC 9420 §10) whose leaf signs with the device identity and whose basic
 * credential (§5.3) carries `accountId:deviceId`. Valid for {@link KEY_PACKAGE_LIFETIME_SECONDS}.
 *
 * @param suite from {@link loadSuite}
 * @param identity the device's Ed25519 key pair (the key package is signed with it)
 * @param credential the account and device the leaf belongs to
 * @returns the encoded MLSMessage to upload, the private part (secret: store sealed) and its
 *   KeyPackageRef (§5.2)
 * @throws TypeError when the identity's public key does not match its private key, or on ids that
 *   cannot be put in a credential
 */
export async function generateKeyPackage(
  suite: MlsSuite,
  identity: DeviceIdentity,
  credential: CredentialIdentity,
): Promise<GeneratedKeyPackage> {
  const impl = suiteImpl(suite);
  checkIdentity(identity);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    { credentialType: "basic", identity: credentialIdentityToBytes(credential) },
    defaultCapabilities(),
    { notBefore: now - BigInt(CLOCK_SKEW_SECONDS), notAfter: now + BigInt(KEY_PACKAGE_LIFETIME_SECONDS) },
    [],
    { signKey: identity.signaturePrivateKey, publicKey: identity.signaturePublicKey },
    impl,
  );
  return {
    keyPackage: encodeMlsMessage({
      version: "mls10",
      wireformat: "mls_key_package",
      keyPackage: publicPackage,
    }),
    privateKeyPackage: encodePrivateKeyPackage(privatePackage),
    ref: toBase64Url(await makeKeyPackageRef(publicPackage, impl.hash)),
  };
}

/**
 * Parses and verifies a key package (RFC 9420 §10.1): an MLSMessage of wireformat
 * mls_key_package, protocol mls10, ciphersuite `suite`, a Volly basic credential, a valid leaf node
 * signature and KeyPackage signature, distinct init and encryption keys, and a current lifetime.
 *
 * @param suite the suite the package must use
 * @param keyPackage encoded MLSMessage bytes (nothing may trail it)
 * @returns its KeyPackageRef, ciphersuite, leaf signature key and credential; the server checks
 *   that `signaturePublicKey` is the uploading device's key
 * @throws VollyError VOLLY_E_KEY_PACKAGE_INVALID
 */
export async function inspectKeyPackage(suite: MlsSuite, keyPackage: Uint8Array): Promise<KeyPackageInfo> {
  const impl = suiteImpl(suite);
  const kp = decodeKeyPackage(keyPackage);
  if (kp === undefined) throw keyPackageInvalid("The key package cannot be parsed.");
  const problem = await keyPackageProblem(kp, suite, impl);
  if (problem !== undefined) throw keyPackageInvalid(problem);
  return {
    ref: toBase64Url(await makeKeyPackageRef(kp, impl.hash)),
    ciphersuite: kp.cipherSuite,
    signaturePublicKey: toBase64Url(kp.leafNode.signaturePublicKey),
    credential: identityOf(kp.leafNode.credential),
  };
}

/**
 * Creates a one-member group at epoch 0 (RFC 9420 §11) with this device as leaf 0.
 *
 * @param suite from {@link loadSuite}; the key package must use it
 * @param groupId the Volly group id string; the MLS group_id is its UTF-8 bytes
 * @param keyPackage a package from {@link generateKeyPackage} (not one that was uploaded: a package
 *   is used once)
 * @throws VollyError VOLLY_E_KEY_PACKAGE_INVALID when `keyPackage` cannot be decoded or is for
 *   another suite
 */
export async function createGroup(
  suite: MlsSuite,
  groupId: string,
  keyPackage: GeneratedKeyPackage,
): Promise<MlsGroup> {
  const impl = suiteImpl(suite);
  if (typeof groupId !== "string" || groupId.length === 0)
    throw new TypeError("groupId must be a non-empty string");
  const { publicPackage, privatePackage } = openGeneratedKeyPackage(suite, keyPackage);
  try {
    const state = await mlsCreateGroup(utf8(groupId), publicPackage, privatePackage, [], impl, clientConfig);
    return wrapGroup(state);
  } finally {
    privatePackage.initPrivateKey.fill(0); // our copy; the group state does not keep the init key
  }
}

/**
 * Commits Add proposals for these key packages (RFC 9420 §12.1.1, §12.4), without an UpdatePath
 * (an Add-only commit needs none, §12.4; ts-mls 1.6.4 omits it). The commit is an
 * mls_public_message (§6.2; signed, not encrypted), so the delivery service can verify it with
 * {@link inspectCommit} before accepting it; the Welcome does not carry the ratchet tree (it is
 * returned separately, to be served out of band, RFC 9420 §12.4.3.3).
 *
 * Does not mutate `group`: keep using `group` until the delivery service accepts the commit, then
 * switch to `newGroup`; if it is rejected, drop `newGroup`, process the log and retry. Do not
 * process other messages with `group` while the commit is pending.
 *
 * @param keyPackages one or more encoded MLSMessage key packages (e.g. claimed from the directory)
 * @returns the pending state, the commit and Welcome (MLSMessage bytes), the encoded ratchet tree
 *   of the new epoch and `epoch`, the epoch the commit was created in
 * @throws VollyError VOLLY_E_KEY_PACKAGE_INVALID (unparseable, wrong suite, bad signature, expired,
 *   or a device already in the group; `details.index` names the package when known)
 */
export async function addMembers(
  suite: MlsSuite,
  group: MlsGroup,
  keyPackages: Uint8Array[],
): Promise<AddMembersResult> {
  const impl = suiteImpl(suite);
  const state = liveState(group);
  assertSuite(suite, state);
  if (keyPackages.length === 0) throw new TypeError("addMembers needs at least one key package");
  const proposals: ProposalAdd[] = [];
  for (const [index, bytes] of keyPackages.entries()) {
    const kp = decodeKeyPackage(bytes);
    if (kp === undefined) throw keyPackageInvalid("The key package cannot be parsed.", index);
    const problem = await keyPackageProblem(kp, suite, impl);
    if (problem !== undefined) throw keyPackageInvalid(problem, index);
    proposals.push({ proposalType: "add", add: { keyPackage: kp } });
  }
  let result: Awaited<ReturnType<typeof createCommit>>;
  try {
    result = await createCommit(
      { state, cipherSuite: impl },
      { extraProposals: proposals, ratchetTreeExtension: false, wireAsPublicMessage: true },
    );
  } catch (err) {
    if (err instanceof ValidationError || err instanceof CryptoVerificationError) {
      throw keyPackageInvalid(`The commit was refused: ${err.message}.`);
    }
    throw err;
  }
  if (result.welcome === undefined) throw new Error("ts-mls returned no Welcome for an Add commit");
  // `result.consumed` holds secrets of `group`'s epoch that `group` still uses while the commit is
  // pending, so they are not zeroed here (see docs/threat-model.md).
  return {
    newGroup: wrapGroup(result.newState),
    commit: encodeMlsMessage(result.commit),
    welcome: encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: result.welcome }),
    ratchetTree: encodeRatchetTree(result.newState.ratchetTree),
    epoch: Number(state.groupContext.epoch),
  };
}

/**
 * Commits Remove proposals (RFC 9420 §12.1.3) for the given members, with an UpdatePath (§12.4.1:
 * a Remove requires one, so the removed devices cannot derive the new epoch's secrets). The commit
 * is an mls_public_message (§6.2, verified by the delivery service with {@link inspectCommit}) and
 * carries nothing but the Removes: never combine a Remove with a GroupContextExtensions proposal
 * (ts-mls upstream issue #742, such a commit cannot be processed).
 *
 * Like {@link addMembers} this does not mutate `group`: keep using `group` until the delivery service
 * accepts the commit, then switch to `newGroup`; on VOLLY_E_STALE_EPOCH drop `newGroup`, process the
 * log and build the commit again.
 *
 * @param targets leaf indices (numbers, RFC 9420 §4.1.1) or device ids (strings: every leaf whose
 *   credential names that device); duplicates are ignored
 * @returns the pending state, the commit (MLSMessage bytes), the new epoch's encoded ratchet tree,
 *   `epoch` (the epoch the commit was created in) and the removed members
 * @throws TypeError on an empty list; VollyError VOLLY_E_USAGE when a target is not a member
 *   (`details.target`) or is this device's own leaf (a member cannot commit its own Remove, §12.2)
 */
export async function removeMembers(
  suite: MlsSuite,
  group: MlsGroup,
  targets: readonly number[] | readonly string[],
): Promise<RemoveMembersResult> {
  const impl = suiteImpl(suite);
  const state = liveState(group);
  assertSuite(suite, state);
  if (targets.length === 0) throw new TypeError("removeMembers needs at least one leaf index or device id");
  const members = groupMembers(group);
  const removed = new Map<number, GroupMember>();
  for (const target of targets) {
    const found =
      typeof target === "number"
        ? members.filter((m) => m.leafIndex === target)
        : members.filter((m) => m.credential.deviceId === target);
    if (found.length === 0) {
      throw new VollyError("VOLLY_E_USAGE", "That member is not in the group.", { target });
    }
    for (const m of found) removed.set(m.leafIndex, m);
  }
  if (removed.has(state.privatePath.leafIndex)) {
    throw new VollyError("VOLLY_E_USAGE", "A member cannot commit its own removal (RFC 9420 §12.2).");
  }
  const proposals: ProposalRemove[] = [...removed.keys()]
    .sort((a, b) => a - b)
    .map((leafIndex) => ({ proposalType: "remove", remove: { removed: leafIndex } }));
  const result = await createCommit(
    { state, cipherSuite: impl },
    { extraProposals: proposals, ratchetTreeExtension: false, wireAsPublicMessage: true },
  );
  // As in addMembers: `result.consumed` belongs to `group`'s epoch, still in use until accepted.
  return {
    newGroup: wrapGroup(result.newState),
    commit: encodeMlsMessage(result.commit),
    ratchetTree: encodeRatchetTree(result.newState.ratchetTree),
    epoch: Number(state.groupContext.epoch),
    removed: [...removed.values()].sort((a, b) => a.leafIndex - b.leafIndex),
  };
}

/**
 * The leaf indices (RFC 9420 §4.1.1) whose credential names `deviceId`, in leaf order (normally
 * zero or one). Works on consumed handles too.
 */
export function leafIndicesOf(group: MlsGroup, deviceId: string): number[] {
  return groupMembers(group)
    .filter((m) => m.credential.deviceId === deviceId)
    .map((m) => m.leafIndex);
}

/** This device's own leaf index in the group (RFC 9420 §4.1.1). Works on consumed handles too. */
export function ownLeafIndex(group: MlsGroup): number {
  return peekState(group).privatePath.leafIndex;
}

/**
 * True once a processed commit removed this device from the group (RFC 9420 §12.1.3): the state
 * can no longer encrypt, decrypt new epochs or commit. Works on consumed handles too.
 */
export function isRemovedFromGroup(group: MlsGroup): boolean {
  return peekState(group).groupActiveState.kind === "removedFromGroup";
}

/**
 * KeyPackageRefs a Welcome is addressed to (RFC 9420 §12.4.3.1, `EncryptedGroupSecrets.new_member`),
 * base64url, so a device can pick the key package to join with.
 *
 * @param welcome encoded MLSMessage of wireformat mls_welcome
 * @throws VollyError VOLLY_E_DECRYPT_FAILED (cause "malformed") on a malformed welcome
 */
export function welcomeKeyPackageRefs(welcome: Uint8Array): string[] {
  return decodeWelcome(welcome).secrets.map((secret) => toBase64Url(secret.newMember));
}

/**
 * Joins a group from a Welcome plus the out-of-band ratchet tree (RFC 9420 §12.4.3.1, §12.4.3.3):
 * decrypts the group secrets with the key package's init key, verifies the GroupInfo signature,
 * the tree (hashes, leaf signatures, credentials) and the confirmation tag.
 *
 * @param welcome encoded MLSMessage of wireformat mls_welcome
 * @param ratchetTree the tree from {@link AddMembersResult.ratchetTree} as the delivery service served it
 * @param keyPackage the generated key package the Welcome names (see {@link welcomeKeyPackageRefs})
 * @throws VollyError VOLLY_E_DECRYPT_FAILED with `details.cause`: "malformed" (undecodable input),
 *   "bad-signature" (GroupInfo signature or confirmation tag), "other" (not addressed to this key
 *   package, wrong suite, tree does not match the group)
 */
export async function joinFromWelcome(
  suite: MlsSuite,
  welcome: Uint8Array,
  ratchetTree: Uint8Array,
  keyPackage: GeneratedKeyPackage,
): Promise<MlsGroup> {
  const impl = suiteImpl(suite);
  const decodedWelcome = decodeWelcome(welcome);
  if (decodedWelcome.cipherSuite !== suite.name) {
    throw decryptFailed("other", `The Welcome uses ${decodedWelcome.cipherSuite}, not ${suite.name}.`);
  }
  const tree = decodeTree(ratchetTree);
  const { publicPackage, privatePackage } = openGeneratedKeyPackage(suite, keyPackage);
  const ref = await makeKeyPackageRef(publicPackage, impl.hash);
  if (!decodedWelcome.secrets.some((secret) => bytesEqual(secret.newMember, ref))) {
    throw decryptFailed("other", "The Welcome is not addressed to this key package.");
  }
  try {
    const state = await joinGroup(
      decodedWelcome,
      publicPackage,
      privatePackage,
      emptyPskIndex,
      impl,
      tree,
      undefined,
      clientConfig,
    );
    return wrapGroup(state);
  } catch (err) {
    throw toDecryptError(err, "Cannot join the group from this Welcome");
  } finally {
    privatePackage.initPrivateKey.fill(0); // our copy; the group state does not keep the init key
  }
}

/**
 * Who committed the Welcome this device joined with: the signer of the Welcome's GroupInfo (RFC 9420
 * §12.4.3.1 — the committer signs the new epoch's GroupInfo), as its leaf in `group`, the state
 * {@link joinFromWelcome} returned for the same Welcome. Decrypts the group secrets and the GroupInfo
 * again (one more HPKE decapsulation) and verifies the GroupInfo's signature with that leaf's key, so
 * the answer comes from MLS, never from the server's routing metadata.
 *
 * @param welcome encoded MLSMessage of wireformat mls_welcome
 * @param keyPackage the generated key package the Welcome names
 * @param group the state joined from this Welcome (its tree holds the signer's leaf)
 * @returns the committer's leaf (index, credential identity, signature key)
 * @throws VollyError VOLLY_E_DECRYPT_FAILED with `details.cause`: "malformed" (undecodable input),
 *   "bad-signature" (the GroupInfo's signature), "other" (not addressed to this key package, a
 *   Welcome with pre-shared keys, another group or epoch than `group`, a blank signer leaf)
 */
export async function welcomeCommitter(
  suite: MlsSuite,
  welcome: Uint8Array,
  keyPackage: GeneratedKeyPackage,
  group: MlsGroup,
): Promise<GroupMember> {
  const impl = suiteImpl(suite);
  const decodedWelcome = decodeWelcome(welcome);
  const state = peekState(group);
  const { publicPackage, privatePackage } = openGeneratedKeyPackage(suite, keyPackage);
  let joinerSecret: Uint8Array | undefined;
  try {
    const ref = await makeKeyPackageRef(publicPackage, impl.hash);
    const initKey = await impl.hpke.importPrivateKey(privatePackage.initPrivateKey);
    const secrets = await decryptGroupSecrets(initKey, ref, decodedWelcome, impl.hpke);
    if (secrets === undefined)
      throw decryptFailed("other", "The Welcome is not addressed to this key package.");
    joinerSecret = secrets.joinerSecret;
    if (secrets.psks.length > 0) throw decryptFailed("other", "Welcomes with pre-shared keys are not used.");
    const pskSecret = new Uint8Array(impl.kdf.size); // no PSKs: the zero secret (RFC 9420 §8.4)
    const info = await decryptGroupInfo(decodedWelcome, secrets.joinerSecret, pskSecret, impl);
    if (info === undefined) throw decryptFailed("malformed", "The Welcome's GroupInfo cannot be decoded.");
    if (
      !bytesEqual(info.groupContext.groupId, state.groupContext.groupId) ||
      info.groupContext.epoch !== state.groupContext.epoch
    ) {
      throw decryptFailed("other", "The Welcome is not the one this group state was joined with.");
    }
    const leaf = leafAt(state.ratchetTree, info.signer);
    if (leaf === undefined)
      throw decryptFailed("other", `The GroupInfo's signer leaf ${info.signer} is blank.`);
    if (!(await verifyGroupInfoSignature(info, leaf.signaturePublicKey, impl.signature))) {
      throw decryptFailed(
        "bad-signature",
        "The GroupInfo's signature does not verify with its signer's key.",
      );
    }
    return {
      leafIndex: info.signer,
      credential: identityOf(leaf.credential),
      signaturePublicKey: toBase64Url(leaf.signaturePublicKey),
    };
  } catch (err) {
    throw toDecryptError(err, "Cannot read who committed the Welcome");
  } finally {
    privatePackage.initPrivateKey.fill(0);
    joinerSecret?.fill(0);
  }
}

/**
 * Encrypts an application message (RFC 9420 §6.3.1) as an mls_private_message for the current
 * epoch, padded to at least 256 bytes of content.
 *
 * Consumes `group`: its ratchet secrets for this message are zeroed, so continue with `newGroup`
 * (and persist it before or with the ciphertext). Using `group` again throws Error.
 *
 * @param plaintext application bytes (Volly puts an encoded ApplicationContent here)
 * @returns the advanced state and the MLSMessage bytes to send
 * @throws Error when the group cannot send (e.g. this device was removed)
 */
export async function encryptApplication(
  suite: MlsSuite,
  group: MlsGroup,
  plaintext: Uint8Array,
): Promise<{ newGroup: MlsGroup; ciphertext: Uint8Array }> {
  const impl = suiteImpl(suite);
  assertSuite(suite, liveState(group));
  const rec = claim(group);
  try {
    const result = await createApplicationMessage(rec.state, plaintext, impl);
    const ciphertext = encodeMlsMessage({
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: result.privateMessage,
    });
    const newGroup = wrapGroup(result.newState);
    finish(result.consumed);
    return { newGroup, ciphertext };
  } catch (err) {
    abort(rec);
    throw err;
  }
}

/**
 * Processes an incoming MLSMessage from the group's log (RFC 9420 §6): an application message
 * (mls_private_message, §6.3) or a commit (§12.4.2): an mls_public_message (§6.2, what Volly sends
 * since commits are verified by the delivery service; external commits always are) or an
 * mls_private_message (what earlier versions sent). The membership tag, signature, UpdatePath and
 * confirmation tag are all checked here; the delivery service can only check the signature.
 * Application messages from up to 4 earlier epochs still decrypt (late delivery after a commit).
 *
 * Consumes `group` on success (secrets zeroed; continue with `newGroup`); on failure `group` is
 * unchanged and stays usable — also for a commit the delivery service accepted but this member
 * cannot process (a corrupted UpdatePath or confirmation tag): the caller counts it and resyncs.
 * Standalone proposals are refused: Volly commits carry their proposals inline.
 *
 * @returns for an application message the plaintext and the sender's credential identity (from its
 *   leaf); for a commit the committer's identity (`undefined` only if it cannot be known)
 * @throws VollyError VOLLY_E_DECRYPT_FAILED with `details.cause` a DecryptFailureCause:
 *   "malformed" (not an MLSMessage), "wrong-group" (another group's message), "wrong-epoch" (an
 *   epoch this state has no keys for, or a commit for a past or future epoch; `details.epoch` and
 *   `details.messageEpoch`), "bad-signature" (signature, membership or confirmation tag), "other"
 */
export async function processMessage(
  suite: MlsSuite,
  group: MlsGroup,
  message: Uint8Array,
): Promise<ProcessedMessage> {
  const impl = suiteImpl(suite);
  assertSuite(suite, liveState(group));
  const rec = claim(group);
  try {
    const decoded = decodeMessage(message);
    let outcome: { processed: ProcessedMessage; consumed: Uint8Array[] };
    if (decoded.wireformat === "mls_private_message") {
      outcome = await processPrivate(impl, rec.state, decoded.privateMessage);
    } else if (decoded.wireformat === "mls_public_message") {
      outcome = await processPublic(impl, rec.state, decoded.publicMessage);
    } else {
      throw decryptFailed("malformed", `Expected a private or public message, got ${decoded.wireformat}.`);
    }
    finish(outcome.consumed);
    return outcome.processed;
  } catch (err) {
    abort(rec);
    throw toDecryptError(err, "Cannot process the message");
  }
}

/**
 * The MLS exporter of the group's current epoch (RFC 9420 §8.5):
 * `MLS-Exporter(label, context, length) = ExpandWithLabel(DeriveSecret(exporter_secret, label),
 * "exported", Hash(context), length)`. Every member in the same epoch gets the same bytes; members
 * of other epochs (a removed device, which keeps its last epoch) get unrelated ones. Read-only: the
 * group is not consumed. Secret: never log the result.
 *
 * @param suite from {@link loadSuite}, the group's ciphersuite
 * @param group a live (not consumed) group state
 * @param label the exporter label, e.g. "SFrame 1.0 Base Key" (RFC 9605 §5.2)
 * @param context the exporter context (application-chosen bytes)
 * @param length output length in bytes, 1 … 255·Nh (Nh = 64 for SHA-512 suites)
 * @throws Error on a consumed handle or a suite that is not the group's; RangeError on a bad length
 */
export async function exportSecret(
  suite: MlsSuite,
  group: MlsGroup,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const impl = suiteImpl(suite);
  const state = liveState(group);
  assertSuite(suite, state);
  if (!Number.isInteger(length) || length < 1 || length > 255 * impl.kdf.size) {
    throw new RangeError(`An MLS exporter length must be an integer in 1 … ${255 * impl.kdf.size}.`);
  }
  return mlsExporter(state.keySchedule.exporterSecret, label, context, length, impl);
}

/**
 * Whether `group` was consumed by {@link encryptApplication} or {@link processMessage} (its used
 * secrets are zeroed: continue with the `newGroup` that call returned). A call still running
 * counts as consuming it; one that failed gives the handle back.
 *
 * @throws TypeError on an object that is not an MlsGroup
 */
export function isGroupConsumed(group: MlsGroup): boolean {
  return isSpent(group);
}

/** The group's current epoch (RFC 9420 §8). Works on consumed handles too. */
export function groupEpoch(group: MlsGroup): number {
  return Number(peekState(group).groupContext.epoch);
}

/** The group id string the group was created with (UTF-8 decoded MLS group_id). */
export function groupIdOf(group: MlsGroup): string {
  return fromUtf8(peekState(group).groupContext.groupId);
}

/**
 * The group's member leaves in leaf order (RFC 9420 §7.8): leaf index, credential identity and
 * base64url Ed25519 signature key. Clients compare the keys with the directory's device keys.
 */
export function groupMembers(group: MlsGroup): GroupMember[] {
  const tree = peekState(group).ratchetTree;
  const members: GroupMember[] = [];
  for (let leafIndex = 0; leafIndex * 2 < tree.length; leafIndex++) {
    const leaf = leafAt(tree, leafIndex);
    if (leaf === undefined) continue;
    members.push({
      leafIndex,
      credential: identityOf(leaf.credential),
      signaturePublicKey: toBase64Url(leaf.signaturePublicKey),
    });
  }
  return members;
}

const GROUP_ENCODING_VERSION = 1;

/**
 * Serialises a group state: a version byte, then ts-mls's TLS encoding of the whole client state
 * (group context, key schedule, secret tree, ratchet tree, private path keys, signature key,
 * pending proposals, receiver data of past epochs). Secret: store it sealed.
 *
 * @throws Error on a handle already consumed by {@link encryptApplication} / {@link processMessage}
 */
export function encodeGroup(group: MlsGroup): Uint8Array {
  const body = encodeGroupState(liveState(group));
  const out = new Uint8Array(1 + body.length);
  out[0] = GROUP_ENCODING_VERSION;
  out.set(body, 1);
  return out;
}

/**
 * Restores a group state from {@link encodeGroup} bytes.
 *
 * @throws VollyError VOLLY_E_DECRYPT_FAILED (cause "malformed") on corrupt bytes
 */
export function decodeGroup(bytes: Uint8Array): MlsGroup {
  const corrupt = () => decryptFailed("malformed", "The stored group state is corrupt.");
  if (bytes[0] !== GROUP_ENCODING_VERSION) throw corrupt();
  let decoded: ReturnType<typeof decodeGroupState>;
  try {
    decoded = decodeGroupState(bytes, 1);
  } catch {
    throw corrupt();
  }
  if (decoded === undefined || decoded[1] + 1 !== bytes.length) throw corrupt();
  return wrapGroup({ ...decoded[0], clientConfig });
}

async function processPrivate(
  impl: CiphersuiteImpl,
  state: ClientState,
  pm: PrivateMessage,
): Promise<{ processed: ProcessedMessage; consumed: Uint8Array[] }> {
  checkGroupId(state, pm.groupId);
  const current = state.groupContext.epoch;
  let senderDataSecret: Uint8Array;
  let tree: RatchetTree;
  if (pm.epoch === current) {
    senderDataSecret = state.keySchedule.senderDataSecret;
    tree = state.ratchetTree;
  } else {
    const past = pm.epoch < current ? state.historicalReceiverData.get(pm.epoch) : undefined;
    if (past === undefined || pm.contentType !== "application") throw wrongEpoch(pm.epoch, current);
    senderDataSecret = past.senderDataSecret;
    tree = past.ratchetTree;
  }
  if (pm.contentType === "proposal") {
    throw decryptFailed("other", "Standalone proposals are not supported; commits carry proposals inline.");
  }
  // ts-mls does not report who sent an application message, so decrypt the sender data (RFC 9420
  // §6.3.2) here to learn the leaf index; processPrivateMessage then authenticates the content with
  // that same leaf's signature key.
  let senderData: Awaited<ReturnType<typeof decryptSenderData>>;
  try {
    senderData = await decryptSenderData(pm, senderDataSecret, impl);
  } catch {
    senderData = undefined;
  }
  if (senderData === undefined) {
    throw decryptFailed("other", "The sender data does not decrypt (forked or stale group state?).");
  }
  const senderLeaf = leafAt(tree, senderData.leafIndex);
  if (senderLeaf === undefined) throw decryptFailed("other", "The message names a blank sender leaf.");
  const sender = identityOf(senderLeaf.credential);
  const result = await processPrivateMessage(state, pm, emptyPskIndex, impl);
  const newGroup = wrapGroup(result.newState);
  if (result.kind === "applicationMessage") {
    return {
      processed: { kind: "application", newGroup, plaintext: result.message.slice(), sender },
      consumed: result.consumed,
    };
  }
  return { processed: { kind: "commit", newGroup, sender }, consumed: result.consumed };
}

async function processPublic(
  impl: CiphersuiteImpl,
  state: ClientState,
  pm: PublicMessage,
): Promise<{ processed: ProcessedMessage; consumed: Uint8Array[] }> {
  const content = pm.content;
  checkGroupId(state, content.groupId);
  if (content.epoch !== state.groupContext.epoch) throw wrongEpoch(content.epoch, state.groupContext.epoch);
  if (content.contentType !== "commit") {
    throw content.contentType === "proposal"
      ? decryptFailed("other", "Standalone proposals are not supported; commits carry proposals inline.")
      : decryptFailed("malformed", "An application message cannot be a public message (RFC 9420 §6.2).");
  }
  let sender: CredentialIdentity | undefined;
  if (content.sender.senderType === "member") {
    const leaf = leafAt(state.ratchetTree, content.sender.leafIndex);
    if (leaf === undefined) throw decryptFailed("other", "The commit names a blank sender leaf.");
    sender = identityOf(leaf.credential);
  } else if (content.sender.senderType === "new_member_commit") {
    const credential = content.commit.path?.leafNode.credential;
    sender =
      credential?.credentialType === "basic" ? credentialIdentityFromBytes(credential.identity) : undefined;
  }
  const result = await processPublicMessage(state, pm, emptyPskIndex, impl);
  return {
    processed: { kind: "commit", newGroup: wrapGroup(result.newState), sender },
    consumed: result.consumed,
  };
}

function assertSuite(suite: MlsSuite, state: ClientState): void {
  if (state.groupContext.cipherSuite !== suite.name) {
    throw new Error(`The group uses ${state.groupContext.cipherSuite} but ${suite.name} was given.`);
  }
}

function checkGroupId(state: ClientState, groupId: Uint8Array): void {
  if (!bytesEqual(groupId, state.groupContext.groupId)) {
    throw decryptFailed("wrong-group", "The message belongs to another group.");
  }
}

function wrongEpoch(messageEpoch: bigint, epoch: bigint): VollyError {
  return decryptFailed(
    "wrong-epoch",
    `The message is for epoch ${messageEpoch}; this state is at epoch ${epoch} and has no keys for it.`,
    { epoch: Number(epoch), messageEpoch: Number(messageEpoch) },
  );
}

function keyPackageInvalid(message: string, index?: number): VollyError {
  return new VollyError("VOLLY_E_KEY_PACKAGE_INVALID", message, index === undefined ? undefined : { index });
}

function checkIdentity(identity: DeviceIdentity): void {
  const { signaturePrivateKey, signaturePublicKey } = identity;
  if (signaturePrivateKey.length !== 32 || signaturePublicKey.length !== 32) {
    throw new TypeError("A device identity is a 32-byte Ed25519 seed and its 32-byte public key.");
  }
  if (!bytesEqual(ed25519.getPublicKey(signaturePrivateKey), signaturePublicKey)) {
    throw new TypeError("The identity's public key does not belong to its private key.");
  }
}

function decodeMessage(bytes: Uint8Array): MLSMessage {
  const message = decodeWholeMessage(bytes);
  if (message === undefined || message.version !== "mls10") {
    throw decryptFailed("malformed", "The message is not an MLSMessage (RFC 9420 §6).");
  }
  return message;
}

function decodeKeyPackage(bytes: Uint8Array): KeyPackage | undefined {
  const message = decodeWholeMessage(bytes);
  return message?.wireformat === "mls_key_package" && message.version === "mls10"
    ? message.keyPackage
    : undefined;
}

function decodeWelcome(bytes: Uint8Array): Welcome {
  const message = decodeWholeMessage(bytes);
  if (message?.wireformat !== "mls_welcome" || message.version !== "mls10") {
    throw decryptFailed("malformed", "The Welcome is not an MLSMessage of wireformat mls_welcome.");
  }
  return message.welcome;
}

function openGeneratedKeyPackage(suite: MlsSuite, keyPackage: GeneratedKeyPackage) {
  const publicPackage = decodeKeyPackage(keyPackage.keyPackage);
  if (publicPackage === undefined || publicPackage.cipherSuite !== suite.name) {
    throw keyPackageInvalid("The generated key package cannot be decoded or is for another suite.");
  }
  let privatePackage: ReturnType<typeof decodePrivateKeyPackage>;
  try {
    privatePackage = decodePrivateKeyPackage(keyPackage.privateKeyPackage);
  } catch {
    throw keyPackageInvalid("The private key package cannot be decoded.");
  }
  return { publicPackage, privatePackage };
}

/** Why a key package must be refused (RFC 9420 §10.1), or undefined when it is acceptable. */
async function keyPackageProblem(
  kp: KeyPackage,
  suite: MlsSuite,
  impl: CiphersuiteImpl,
): Promise<string | undefined> {
  if (kp.version !== "mls10") return "The key package is not for MLS 1.0.";
  if (kp.cipherSuite !== suite.name) return `The key package uses ${kp.cipherSuite}, not ${suite.name}.`;
  const leaf = kp.leafNode;
  if (leaf.leafNodeSource !== "key_package") return "The leaf node is not a key package leaf.";
  if (leaf.credential.credentialType !== "basic" || !credentialIdentityFromBytes(leaf.credential.identity)) {
    return "The credential is not a Volly basic credential (accountId:deviceId).";
  }
  if (leaf.signaturePublicKey.length !== 32) return "The leaf signature key is not an Ed25519 key.";
  if (bytesEqual(kp.initKey, leaf.hpkePublicKey)) return "The init key equals the encryption key.";
  const now = BigInt(Math.floor(Date.now() / 1000));
  if (leaf.lifetime.notAfter < now) return "The key package has expired.";
  if (leaf.lifetime.notBefore > now + BigInt(CLOCK_SKEW_SECONDS)) return "The key package is not valid yet.";
  try {
    if (!(await verifyLeafNodeSignatureKeyPackage(leaf, impl.signature)))
      return "The leaf signature is invalid.";
    if (!(await verifyKeyPackage(kp, impl.signature))) return "The key package signature is invalid.";
  } catch {
    return "The key package signature cannot be verified.";
  }
  return undefined;
}
