/**
 * Internals of the MLS wrapper: the suite registry, the opaque group handles, the client
 * configuration handed to ts-mls, error mapping and the private key package codec. Nothing here is
 * exported from the package entry point.
 */
import { VollyError } from "@volly/protocol";
import type {
  CiphersuiteImpl,
  ClientConfig,
  ClientState,
  Credential,
  PrivateKeyPackage,
  RatchetTree,
} from "ts-mls";
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import { CodecError, CryptoVerificationError, ValidationError } from "ts-mls/mlsError.js";
import type { CommitRejectionCause, CredentialIdentity, DecryptFailureCause, MlsGroup } from "./api.js";
import { credentialIdentityFromBytes } from "./credential.js";

/** What {@link import("./mls.js").MlsSuite} hides: the ts-mls implementation, per suite object. */
const suiteImpls = new WeakMap<object, CiphersuiteImpl>();

export function registerSuiteImpl(suite: object, impl: CiphersuiteImpl): void {
  suiteImpls.set(suite, impl);
}

/** The ts-mls implementation behind a suite from `loadSuite`. Throws TypeError on a foreign object. */
export function suiteImpl(suite: { readonly name: string }): CiphersuiteImpl {
  const impl = suiteImpls.get(suite);
  if (impl === undefined) throw new TypeError("not an MlsSuite from loadSuite()");
  return impl;
}

/**
 * Only basic credentials whose identity parses as `accountId:deviceId` are accepted, in key
 * packages, ratchet trees and commits (RFC 9420 §5.3.1 leaves credential validation to the
 * application). Binding the credential to the signature key is the directory's job: clients
 * compare `signaturePublicKey` of members with the keys the server lists for that device.
 *
 * Key retention (RFC 9420 §9.2 leaves the deletion schedule to the application): the keys of up
 * to 128 skipped generations per sender are kept (ts-mls keeps 10). Call signaling is ephemeral
 * MLS content relayed at once, beside stored messages that reach a device through the log; a
 * signal that overtakes its sender's messages not yet received makes the receiver skip their
 * generations, and with 10 kept the 11th-oldest of them could no longer be read. A skipped key is
 * deleted when its message arrives, or once 128 newer skipped keys of that sender are kept.
 */
export const clientConfig: ClientConfig = {
  ...defaultClientConfig,
  keyRetentionConfig: { ...defaultClientConfig.keyRetentionConfig, retainKeysForGenerations: 128 },
  authService: {
    async validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
      return (
        credential.credentialType === "basic" &&
        credentialIdentityFromBytes(credential.identity) !== undefined &&
        signaturePublicKey.length > 0
      );
    },
  },
};

/** One group handle's state. `spent` is set once a transition consumed it (see {@link claim}). */
export interface GroupRecord {
  state: ClientState;
  spent: boolean;
}

const groups = new WeakMap<MlsGroup, GroupRecord>();

/**
 * Wraps a ts-mls state in a fresh opaque handle. The handle itself holds no fields besides the
 * brand, so logging or JSON-serialising it cannot leak secrets.
 */
export function wrapGroup(state: ClientState): MlsGroup {
  const group = Object.freeze({ __brand: "MlsGroup" as const });
  groups.set(group, { state, spent: false });
  return group;
}

function record(group: MlsGroup): GroupRecord {
  const rec = groups.get(group);
  if (rec === undefined) throw new TypeError("not an MlsGroup from @volly/crypto");
  return rec;
}

const SPENT =
  "This MlsGroup was consumed by encryptApplication/processMessage (its secrets are zeroed); use the newGroup that call returned.";

/** The state behind a handle for read-only use (epoch, members, id): allowed on spent handles too. */
export function peekState(group: MlsGroup): ClientState {
  return record(group).state;
}

/** Whether a transition consumed the handle (see {@link claim}). */
export function isSpent(group: MlsGroup): boolean {
  return record(group).spent;
}

/** The state behind a handle that has not been consumed. Throws Error on a spent handle. */
export function liveState(group: MlsGroup): ClientState {
  const rec = record(group);
  if (rec.spent) throw new Error(SPENT);
  return rec.state;
}

/**
 * Starts a state transition that consumes `group`: marks it spent synchronously, so a concurrent
 * second transition on the same handle fails loudly instead of reusing ratchet secrets. Call
 * {@link finish} on success (zeroes what ts-mls reports consumed) or {@link abort} on failure.
 */
export function claim(group: MlsGroup): GroupRecord {
  const rec = record(group);
  if (rec.spent) throw new Error(SPENT);
  rec.spent = true;
  return rec;
}

/** Ends a transition successfully: zeroes the consumed secrets (ts-mls contract) of the old state. */
export function finish(consumed: Uint8Array[]): void {
  for (const secret of consumed) secret.fill(0);
}

/** Ends a failed transition: the old state was not modified and stays usable. */
export function abort(rec: GroupRecord): void {
  rec.spent = false;
}

/** Throws VOLLY_E_DECRYPT_FAILED with a cause (counted by clients as "unable to decrypt"). */
export function decryptFailed(
  cause: DecryptFailureCause,
  message: string,
  extra?: Record<string, unknown>,
): VollyError {
  return new VollyError("VOLLY_E_DECRYPT_FAILED", message, { cause, ...extra });
}

/**
 * The error {@link import("./commit-inspection.js").inspectCommit} and
 * {@link import("./group-info-inspection.js").inspectGroupInfo} throw: VOLLY_E_BAD_REQUEST with
 * `details.cause`, or VOLLY_E_STALE_EPOCH (`details.currentEpoch`) when `stale`.
 */
export function commitRejected(
  cause: CommitRejectionCause,
  message: string,
  extra?: Record<string, unknown>,
  stale = false,
): VollyError {
  return new VollyError(stale ? "VOLLY_E_STALE_EPOCH" : "VOLLY_E_BAD_REQUEST", message, { cause, ...extra });
}

/** Maps anything ts-mls (or WebCrypto below it) throws to VOLLY_E_DECRYPT_FAILED with a cause. */
export function toDecryptError(err: unknown, what: string): VollyError {
  if (err instanceof VollyError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  let cause: DecryptFailureCause = "other";
  if (err instanceof CodecError) cause = "malformed";
  else if (err instanceof CryptoVerificationError) cause = "bad-signature";
  else if (err instanceof ValidationError && /epoch/i.test(detail)) cause = "wrong-epoch";
  return decryptFailed(cause, `${what}: ${detail}`);
}

/** The identity in a leaf's credential. Throws Error on a credential Volly would not have accepted. */
export function identityOf(credential: Credential): CredentialIdentity {
  const identity =
    credential.credentialType === "basic" ? credentialIdentityFromBytes(credential.identity) : undefined;
  if (identity === undefined) throw new Error("leaf credential is not a Volly basic credential");
  return identity;
}

/** The leaf node at `leafIndex` (node index 2·leafIndex, RFC 9420 §4.1.1), or undefined if blank. */
export function leafAt(tree: RatchetTree, leafIndex: number) {
  if (!Number.isInteger(leafIndex) || leafIndex < 0) return undefined;
  const node = tree[leafIndex * 2];
  return node?.nodeType === "leaf" ? node.leaf : undefined;
}

const PRIVATE_KEY_PACKAGE_VERSION = 1;

/**
 * Encodes a private key package: version byte 1, then init, HPKE and signature private keys, each
 * as a 16-bit big-endian length and the bytes.
 */
export function encodePrivateKeyPackage(pkp: PrivateKeyPackage): Uint8Array {
  const parts = [pkp.initPrivateKey, pkp.hpkePrivateKey, pkp.signaturePrivateKey];
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + 2 + p.length, 0));
  out[0] = PRIVATE_KEY_PACKAGE_VERSION;
  let offset = 1;
  for (const part of parts) {
    if (part.length > 0xffff) throw new RangeError("private key too long");
    out[offset] = part.length >> 8;
    out[offset + 1] = part.length & 0xff;
    out.set(part, offset + 2);
    offset += 2 + part.length;
  }
  return out;
}

/** Decodes {@link encodePrivateKeyPackage} output; copies, so the caller's bytes are not aliased. */
export function decodePrivateKeyPackage(bytes: Uint8Array): PrivateKeyPackage {
  if (bytes[0] !== PRIVATE_KEY_PACKAGE_VERSION) throw new TypeError("unknown private key package encoding");
  const parts: Uint8Array[] = [];
  let offset = 1;
  for (let i = 0; i < 3; i++) {
    if (offset + 2 > bytes.length) throw new TypeError("truncated private key package");
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
    if (offset + 2 + length > bytes.length) throw new TypeError("truncated private key package");
    parts.push(bytes.slice(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  if (offset !== bytes.length) throw new TypeError("trailing bytes in private key package");
  return { initPrivateKey: parts[0]!, hpkePrivateKey: parts[1]!, signaturePrivateKey: parts[2]! };
}
