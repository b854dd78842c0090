/**
 * A one-pass index of an encoded ratchet tree (RFC 9420 §12.4.3.3) that reads each leaf's signature
 * key and credential without decoding the tree.
 *
 * Why: ts-mls 1.6.4 decodes a 1,000-device X-Wing tree (1.4 MB) in 100–400 ms (its enum decoders
 * rebuild a lookup table per value), too slow for the delivery service to do per commit. The index
 * only follows length prefixes (RFC 9420 §2.1.2 variable-size vectors, read with ts-mls's own
 * `determineLength`) and keeps sub-arrays of the input: a few ms for the same tree. It is checked
 * against ts-mls's `decodeRatchetTree` in `test/ratchet-tree-index.test.ts`.
 */
import { toBase64Url } from "@volly/protocol";
import { determineLength } from "ts-mls/codec/variableLength.js";
import type { CredentialIdentity, GroupMember } from "./api.js";
import { credentialIdentityFromBytes } from "./credential.js";

/** One non-blank leaf as the index sees it. */
export interface IndexedLeaf {
  leafIndex: number;
  /** Sub-array of the encoded tree: the leaf's signature key (RFC 9420 §7.2 `signature_key`). */
  signaturePublicKey: Uint8Array;
  /** The basic credential's identity parsed as Volly's `accountId:deviceId`; undefined otherwise. */
  credential: CredentialIdentity | undefined;
}

/** Index of an encoded ratchet tree; leaf `i` is node `2i` (RFC 9420 §4.1.1). */
export interface RatchetTreeIndex {
  /**
   * Number of leaves of the tree extended to a full binary tree (RFC 9420 §12.4.3.3: the receiver
   * pads with blank nodes); leaves past the last encoded node are blank.
   */
  readonly leafWidth: number;
  /** The non-blank leaf at `leafIndex`, or undefined when it is blank or out of range. */
  leafAt(leafIndex: number): IndexedLeaf | undefined;
  /** Every non-blank leaf, in leaf order. */
  leaves(): IndexedLeaf[];
}

/** Thrown by {@link indexRatchetTree} for bytes that are not a well-formed ratchet tree. */
export class MalformedTreeError extends Error {
  override readonly name = "MalformedTreeError";
}

const LEAF = 1;
const PARENT = 2;
const CREDENTIAL_BASIC = 1;
const CREDENTIAL_X509 = 2;
const SOURCE_KEY_PACKAGE = 1;
const SOURCE_UPDATE = 2;
const SOURCE_COMMIT = 3;
const LIFETIME_BYTES = 16;

/**
 * Indexes an encoded ratchet tree: `optional<Node> ratchet_tree<V>` (RFC 9420 §12.4.3.3), each node
 * a LeafNode (§7.2) at even node indices or a ParentNode (§7.1) at odd ones. The whole input must be
 * the tree (nothing may trail it) and its last node must be non-blank.
 *
 * @param bytes the encoded tree (kept by reference: do not modify it while the index is in use)
 * @throws MalformedTreeError on anything that is not such a tree (truncated, trailing bytes, a node
 *   of the wrong type for its position, an unknown credential type or leaf node source)
 */
export function indexRatchetTree(bytes: Uint8Array): RatchetTreeIndex {
  const reader = new Reader(bytes, 0, bytes.length);
  const body = reader.vector();
  if (reader.offset !== bytes.length) throw new MalformedTreeError("trailing bytes after the ratchet tree");
  const leafStarts: number[] = [];
  let nodeCount = 0;
  let lastPresent = false;
  while (body.offset < body.end) {
    const presence = body.uint8();
    if (presence === 0) {
      lastPresent = false;
    } else if (presence === 1) {
      const nodeType = body.uint8();
      const isLeafPosition = nodeCount % 2 === 0;
      if (nodeType === LEAF && isLeafPosition) {
        leafStarts[nodeCount / 2] = body.offset;
        skipLeafNode(body);
      } else if (nodeType === PARENT && !isLeafPosition) {
        body.skipVector(); // encryption_key
        body.skipVector(); // parent_hash
        body.skipVector(); // unmerged_leaves
      } else {
        throw new MalformedTreeError(`node ${nodeCount} has the wrong node type for its position`);
      }
      lastPresent = true;
    } else {
      throw new MalformedTreeError("invalid optional<Node> presence byte");
    }
    nodeCount++;
  }
  if (nodeCount === 0 || !lastPresent)
    throw new MalformedTreeError("the last node of a ratchet tree must be non-blank");
  let width = 1;
  while (2 * width - 1 < nodeCount) width *= 2;
  const cache = new Map<number, IndexedLeaf>();
  const leafAt = (leafIndex: number): IndexedLeaf | undefined => {
    if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= width) return undefined;
    const start = leafStarts[leafIndex];
    if (start === undefined) return undefined;
    let leaf = cache.get(leafIndex);
    if (leaf === undefined) {
      leaf = readLeafHead(bytes, start, leafIndex);
      cache.set(leafIndex, leaf);
    }
    return leaf;
  };
  return {
    leafWidth: width,
    leafAt,
    leaves() {
      const out: IndexedLeaf[] = [];
      for (let i = 0; i < leafStarts.length; i++) {
        const leaf = leafAt(i);
        if (leaf !== undefined) out.push(leaf);
      }
      return out;
    },
  };
}

/** The leaf as a GroupMember, or undefined when it is blank or has no Volly credential. */
export function memberOf(leaf: IndexedLeaf | undefined): GroupMember | undefined {
  if (leaf?.credential === undefined) return undefined;
  return {
    leafIndex: leaf.leafIndex,
    credential: leaf.credential,
    signaturePublicKey: toBase64Url(leaf.signaturePublicKey),
  };
}

/** Reads encryption_key, signature_key and credential at the start of a LeafNode (RFC 9420 §7.2). */
function readLeafHead(bytes: Uint8Array, start: number, leafIndex: number): IndexedLeaf {
  const r = new Reader(bytes, start, bytes.length);
  r.skipVector(); // encryption_key
  const signaturePublicKey = r.vectorBytes();
  const credentialType = r.uint16();
  const credential =
    credentialType === CREDENTIAL_BASIC ? credentialIdentityFromBytes(r.vectorBytes()) : undefined;
  return { leafIndex, signaturePublicKey, credential };
}

/** Skips a LeafNode (RFC 9420 §7.2) whose node_type byte has been read. */
function skipLeafNode(r: Reader): void {
  r.skipVector(); // encryption_key
  r.skipVector(); // signature_key
  const credentialType = r.uint16();
  if (credentialType === CREDENTIAL_BASIC || credentialType === CREDENTIAL_X509) r.skipVector();
  else throw new MalformedTreeError(`unsupported credential type ${credentialType}`);
  for (let i = 0; i < 5; i++) r.skipVector(); // capabilities: versions, suites, extensions, proposals, credentials
  const source = r.uint8();
  if (source === SOURCE_KEY_PACKAGE) {
    r.skip(LIFETIME_BYTES);
  } else if (source === SOURCE_COMMIT) {
    r.skipVector(); // parent_hash
  } else if (source !== SOURCE_UPDATE) {
    throw new MalformedTreeError(`unknown leaf node source ${source}`);
  }
  r.skipVector(); // extensions
  r.skipVector(); // signature
}

/** Bounds-checked cursor over `bytes[offset, end)`. */
class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
    readonly end: number,
  ) {}

  uint8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  uint16(): number {
    this.need(2);
    const value = (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
    this.offset += 2;
    return value;
  }

  skip(count: number): void {
    this.need(count);
    this.offset += count;
  }

  /** Reads a variable-size vector's length prefix and returns a reader over its contents. */
  vector(): Reader {
    const length = this.lengthPrefix();
    const inner = new Reader(this.bytes, this.offset, this.offset + length);
    this.offset += length;
    return inner;
  }

  vectorBytes(): Uint8Array {
    const inner = this.vector();
    return this.bytes.subarray(inner.offset, inner.end);
  }

  skipVector(): void {
    const length = this.lengthPrefix(); // advances past the prefix first
    this.offset += length;
  }

  private lengthPrefix(): number {
    this.need(1);
    let parsed: { length: number; lengthFieldSize: number };
    try {
      parsed = determineLength(this.bytes.subarray(0, this.end), this.offset);
    } catch (err) {
      throw new MalformedTreeError(err instanceof Error ? err.message : "invalid length prefix");
    }
    this.offset += parsed.lengthFieldSize;
    this.need(parsed.length);
    return parsed.length;
  }

  private need(count: number): void {
    if (count < 0 || this.offset + count > this.end) throw new MalformedTreeError("truncated ratchet tree");
  }
}
