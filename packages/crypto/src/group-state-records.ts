/**
 * A group state split into records for incremental persistence: an application message (RFC 9420
 * §6.3) only advances one leaf's ratchet in the secret tree (§9), so the state is stored as
 *
 * - a head: everything of the current epoch but its ratchet tree and secret tree (group context,
 *   key schedule, private path keys, signature key, confirmation tag, ...) and the list of epochs
 *   whose records follow; rewritten when the epoch changes (commit, Welcome, external commit);
 * - one epoch record per epoch with keys (the current one and up to 4 past ones, §15.3): its group
 *   context, ratchet tree, sender data secret and resumption PSK; written once, when the epoch
 *   begins, and kept unchanged while the epoch is a past one;
 * - the epoch's secret tree in chunks of {@link CHUNK_NODES} nodes: a message rewrites the one chunk
 *   holding the ratchet it advanced, a few KiB whatever the size of the group.
 *
 * A used ratchet secret is overwritten on disk by the chunk that replaces it, so a stored state
 * never holds a key ts-mls has deleted (forward secrecy within the epoch, §9.2).
 */
import type { ClientState, GroupState } from "ts-mls";
import { decodeGroupStateWithoutTree, encodeGroupStateWithoutTree } from "ts-mls/clientState.js";
import { encode } from "ts-mls/codec/tlsEncoder.js";
import {
  decodeEpochReceiverData,
  type EpochReceiverData,
  epochReceiverDataEncoder,
} from "ts-mls/epochReceiverData.js";
import { decodeSecretTree, type SecretTree, secretTreeEncoder } from "ts-mls/secretTree.js";
import type { MlsGroup } from "./api.js";
import { clientConfig, decryptFailed, liveState, peekState, wrapGroup } from "./mls-internal.js";

/** Secret tree nodes per chunk record (8 leaves and the parent nodes between them). */
export const CHUNK_NODES = 16;
const HEAD_VERSION = 2;
const encodeEpochData = encode(epochReceiverDataEncoder);
const encodeTree = encode(secretTreeEncoder);

/**
 * The records to write (and delete) so that the stored state becomes `group`: all of them when
 * `replaceAll`, otherwise only what differs from the stored state.
 */
export interface GroupStateRecords {
  /** Delete every stored record of the group first (no stored state was known to build on). */
  readonly replaceAll: boolean;
  /** The new head, when it changed (always when `replaceAll`). Version byte 2. */
  readonly head: Uint8Array | undefined;
  /** Epoch records to write; delete the epoch's stored chunks first (all its chunks follow). */
  readonly epochs: ReadonlyArray<{ readonly epoch: number; readonly record: Uint8Array }>;
  /** Secret tree chunks to write, by epoch and chunk index (nodes index·16 … index·16+15). */
  readonly chunks: ReadonlyArray<{
    readonly epoch: number;
    readonly index: number;
    readonly record: Uint8Array;
  }>;
  /** Epochs no longer kept: delete their epoch record and chunks. */
  readonly dropped: readonly number[];
}

/** What an epoch's records hold, taken from a state without copying (compared by reference). */
interface EpochView {
  data: EpochReceiverData;
  tree: SecretTree;
}

function epochViews(state: GroupState): Map<number, EpochView> {
  const views = new Map<number, EpochView>();
  for (const [epoch, data] of state.historicalReceiverData)
    views.set(Number(epoch), { data, tree: data.secretTree });
  views.set(Number(state.groupContext.epoch), {
    data: {
      resumptionPsk: state.keySchedule.resumptionPsk,
      secretTree: state.secretTree,
      ratchetTree: state.ratchetTree,
      senderDataSecret: state.keySchedule.senderDataSecret,
      groupContext: state.groupContext,
    },
    tree: state.secretTree,
  });
  return views;
}

function sameEpochData(a: EpochReceiverData, b: EpochReceiverData): boolean {
  return (
    a.groupContext === b.groupContext &&
    a.ratchetTree === b.ratchetTree &&
    a.senderDataSecret === b.senderDataSecret &&
    a.resumptionPsk === b.resumptionPsk
  );
}

function sameHead(a: GroupState, b: GroupState): boolean {
  if (
    a.groupContext !== b.groupContext ||
    a.keySchedule !== b.keySchedule ||
    a.ratchetTree !== b.ratchetTree ||
    a.privatePath !== b.privatePath ||
    a.signaturePrivateKey !== b.signaturePrivateKey ||
    a.unappliedProposals !== b.unappliedProposals ||
    a.confirmationTag !== b.confirmationTag ||
    a.groupActiveState !== b.groupActiveState ||
    a.secretTree.length !== b.secretTree.length ||
    a.historicalReceiverData.size !== b.historicalReceiverData.size
  ) {
    return false;
  }
  for (const [epoch, data] of a.historicalReceiverData) {
    if (b.historicalReceiverData.get(epoch)?.secretTree.length !== data.secretTree.length) return false;
  }
  return true;
}

function encodeHead(state: GroupState): Uint8Array {
  const past = [...state.historicalReceiverData].sort(([x], [y]) => (x < y ? -1 : 1));
  const body = encodeGroupStateWithoutTree({ ...state, secretTree: [], historicalReceiverData: new Map() });
  const header = 1 + 4 + 2 + past.length * 12;
  const out = new Uint8Array(header + body.length);
  const view = new DataView(out.buffer);
  out[0] = HEAD_VERSION;
  view.setUint32(1, state.secretTree.length);
  view.setUint16(5, past.length);
  past.forEach(([epoch, data], i) => {
    view.setBigUint64(7 + i * 12, epoch);
    view.setUint32(15 + i * 12, data.secretTree.length);
  });
  out.set(body, header);
  return out;
}

function chunkCount(treeLength: number): number {
  return Math.ceil(treeLength / CHUNK_NODES);
}

function encodeChunk(tree: SecretTree, index: number): Uint8Array {
  return encodeTree(tree.slice(index * CHUNK_NODES, (index + 1) * CHUNK_NODES));
}

/**
 * Splits a group state into the records that store it (see the module comment), or — given the
 * state the store holds now — only the records that changed since: after an application message,
 * one secret tree chunk (a few KiB) whatever the group size; after a commit, the head, the new
 * epoch's record and chunks, and the epoch that fell out of the retention window to delete.
 *
 * @param group the state to store (not consumed: the handle stays usable)
 * @param stored the handle whose state the store holds now (typically consumed by the transition
 *   that produced `group`), or undefined when it is not known: everything is then rewritten
 * @throws Error on a `group` already consumed by encryptApplication / processMessage
 */
export function groupStateRecords(group: MlsGroup, stored?: MlsGroup): GroupStateRecords {
  const next = liveState(group);
  const prev = stored === undefined ? undefined : peekState(stored);
  const nextViews = epochViews(next);
  const prevViews = prev === undefined ? new Map<number, EpochView>() : epochViews(prev);
  const epochs: Array<{ epoch: number; record: Uint8Array }> = [];
  const chunks: Array<{ epoch: number; index: number; record: Uint8Array }> = [];
  for (const [epoch, view] of nextViews) {
    const before = prevViews.get(epoch);
    if (
      before === undefined ||
      !sameEpochData(before.data, view.data) ||
      before.tree.length !== view.tree.length
    ) {
      epochs.push({ epoch, record: encodeEpochData({ ...view.data, secretTree: [] }) });
      for (let index = 0; index < chunkCount(view.tree.length); index++) {
        chunks.push({ epoch, index, record: encodeChunk(view.tree, index) });
      }
      continue;
    }
    if (before.tree === view.tree) continue;
    for (let index = 0; index < chunkCount(view.tree.length); index++) {
      for (
        let node = index * CHUNK_NODES;
        node < Math.min(view.tree.length, (index + 1) * CHUNK_NODES);
        node++
      ) {
        if (before.tree[node] !== view.tree[node]) {
          chunks.push({ epoch, index, record: encodeChunk(view.tree, index) });
          break;
        }
      }
    }
  }
  const dropped = [...prevViews.keys()].filter((epoch) => !nextViews.has(epoch));
  const head = prev !== undefined && sameHead(prev, next) ? undefined : encodeHead(next);
  return { replaceAll: prev === undefined, head, epochs, chunks, dropped };
}

/**
 * Reassembles a group state from its stored records ({@link groupStateRecords}); the state equals
 * the one stored, byte for byte under ts-mls's encoding.
 *
 * @param head the head record (version byte 2)
 * @param epochs epoch records by epoch (extra epochs are ignored)
 * @param chunks secret tree chunks by epoch, then chunk index
 * @throws VollyError VOLLY_E_DECRYPT_FAILED (cause "malformed") on a corrupt or missing record
 */
export function groupFromRecords(
  head: Uint8Array,
  epochs: ReadonlyMap<number, Uint8Array>,
  chunks: ReadonlyMap<number, ReadonlyMap<number, Uint8Array>>,
): MlsGroup {
  const corrupt = (what: string) =>
    decryptFailed("malformed", `The stored group state is corrupt (${what}).`);
  if (head[0] !== HEAD_VERSION || head.length < 7) throw corrupt("head");
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const currentLength = view.getUint32(1);
  const pastCount = view.getUint16(5);
  const bodyStart = 7 + pastCount * 12;
  if (head.length < bodyStart) throw corrupt("head");
  let decoded: ReturnType<ReturnType<typeof decodeGroupStateWithoutTree>>;
  try {
    decoded = decodeGroupStateWithoutTree([])(head, bodyStart);
  } catch {
    throw corrupt("head");
  }
  if (decoded === undefined || decoded[1] + bodyStart !== head.length) throw corrupt("head");
  const state: GroupState = decoded[0];

  const epochData = (epoch: number): EpochReceiverData => {
    const bytes = epochs.get(epoch);
    let out: ReturnType<typeof decodeEpochReceiverData>;
    try {
      out = bytes === undefined ? undefined : decodeEpochReceiverData(bytes, 0);
    } catch {
      out = undefined;
    }
    if (out === undefined || out[1] !== bytes?.length) throw corrupt(`epoch ${epoch}`);
    return out[0];
  };
  const secretTree = (epoch: number, length: number): SecretTree => {
    const tree: SecretTree = [];
    const ofEpoch = chunks.get(epoch);
    for (let index = 0; index < chunkCount(length); index++) {
      const bytes = ofEpoch?.get(index);
      let out: ReturnType<typeof decodeSecretTree>;
      try {
        out = bytes === undefined ? undefined : decodeSecretTree(bytes, 0);
      } catch {
        out = undefined;
      }
      if (out === undefined || out[1] !== bytes?.length) throw corrupt(`epoch ${epoch} chunk ${index}`);
      tree.push(...out[0]);
    }
    if (tree.length !== length) throw corrupt(`epoch ${epoch} secret tree`);
    return tree;
  };

  const historicalReceiverData = new Map<bigint, EpochReceiverData>();
  for (let i = 0; i < pastCount; i++) {
    const epoch = view.getBigUint64(7 + i * 12);
    const length = view.getUint32(15 + i * 12);
    const data = epochData(Number(epoch));
    historicalReceiverData.set(epoch, { ...data, secretTree: secretTree(Number(epoch), length) });
  }
  const currentEpoch = Number(state.groupContext.epoch);
  const current = epochData(currentEpoch);
  const full: ClientState = {
    ...state,
    ratchetTree: current.ratchetTree,
    secretTree: secretTree(currentEpoch, currentLength),
    historicalReceiverData,
    clientConfig,
  };
  return wrapGroup(full);
}
