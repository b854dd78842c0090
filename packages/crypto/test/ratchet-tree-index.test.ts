import { optionalEncoder } from "ts-mls/codec/optional.js";
import { encode } from "ts-mls/codec/tlsEncoder.js";
import { determineLength, varLenTypeEncoder } from "ts-mls/codec/variableLength.js";
import { decodeRatchetTree, type Node, nodeEncoder } from "ts-mls/ratchetTree.js";
import { beforeAll, describe, expect, it } from "vitest";
import { credentialIdentityFromBytes } from "../src/credential.js";
import {
  addMembers,
  createGroup,
  generateIdentity,
  generateKeyPackage,
  groupMembers,
  loadSuite,
  type MlsSuite,
  publicGroupState,
  removeMembers,
} from "../src/index.js";
import { indexRatchetTree, MalformedTreeError, memberOf } from "../src/ratchet-tree-index.js";

const encodeNodes = encode(varLenTypeEncoder(optionalEncoder(nodeEncoder)));

async function kp(suite: MlsSuite, n: number) {
  return generateKeyPackage(suite, generateIdentity(), { accountId: `acct-${n}`, deviceId: `dev-${n}` });
}

/** What ts-mls's full decoder says the leaves are: [leafIndex, signature key, credential]. */
function leavesByTsMls(bytes: Uint8Array) {
  const decoded = decodeRatchetTree(bytes, 0);
  if (decoded === undefined) throw new Error("ts-mls cannot decode the tree");
  const tree = decoded[0];
  const leaves = [];
  for (let i = 0; i < tree.length; i += 2) {
    const node = tree[i];
    if (node?.nodeType === "leaf") {
      leaves.push({
        leafIndex: i / 2,
        signaturePublicKey: node.leaf.signaturePublicKey,
        credential:
          node.leaf.credential.credentialType === "basic"
            ? credentialIdentityFromBytes(node.leaf.credential.identity)
            : undefined,
      });
    }
  }
  return { leaves, leafWidth: (tree.length + 1) / 2 };
}

/** Deterministic PRNG (mulberry32), so a failing mutation can be replayed. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("ratchet tree index (RFC 9420 §12.4.3.3) agrees with ts-mls's decoder", () => {
  let suite: MlsSuite;
  /** Trees of a real group: 1 leaf, 5 leaves (parents after a full-path commit), 5 with a blank leaf. */
  let trees: Uint8Array[];
  let removedState: Awaited<ReturnType<typeof removeMembers>>;
  beforeAll(async () => {
    suite = await loadSuite();
    const created = await createGroup(suite, "g-index", await kp(suite, 0));
    const add = await addMembers(
      suite,
      created,
      [await kp(suite, 1), await kp(suite, 2), await kp(suite, 3), await kp(suite, 4)].map(
        (k) => k.keyPackage,
      ),
    );
    removedState = await removeMembers(suite, add.newGroup, [2]);
    trees = [(await publicGroupState(suite, created)).ratchetTree, add.ratchetTree, removedState.ratchetTree];
  });

  it("finds every leaf's signature key and credential, the blank leaves and the tree's width", () => {
    for (const bytes of trees) {
      const index = indexRatchetTree(bytes);
      const expected = leavesByTsMls(bytes);
      expect(index.leafWidth).toBe(expected.leafWidth);
      expect(
        index.leaves().map((l) => ({ ...l, signaturePublicKey: Uint8Array.from(l.signaturePublicKey) })),
      ).toEqual(
        expected.leaves.map((l) => ({ ...l, signaturePublicKey: Uint8Array.from(l.signaturePublicKey) })),
      );
    }
    const afterRemove = indexRatchetTree(removedState.ratchetTree);
    expect(afterRemove.leafAt(2)).toBeUndefined();
    expect(afterRemove.leafAt(8)).toBeUndefined();
    expect(afterRemove.leafAt(-1)).toBeUndefined();
    expect(afterRemove.leafAt(1.5)).toBeUndefined();
    expect(afterRemove.leaves().map(memberOf)).toEqual(groupMembers(removedState.newGroup));
  });

  it("refuses every truncation, trailing bytes, garbage and an empty input", () => {
    const bytes = trees[1]!;
    for (let cut = 0; cut < bytes.length; cut += 7) {
      expect(() => indexRatchetTree(bytes.subarray(0, cut))).toThrow(MalformedTreeError);
    }
    expect(() => indexRatchetTree(bytes.subarray(0, bytes.length - 1))).toThrow(MalformedTreeError);
    expect(() => indexRatchetTree(Uint8Array.of(...bytes, 0))).toThrow(MalformedTreeError);
    expect(() => indexRatchetTree(new Uint8Array(0))).toThrow(MalformedTreeError);
    expect(() => indexRatchetTree(Uint8Array.of(0))).toThrow(MalformedTreeError); // empty vector
    expect(() => indexRatchetTree(new TextEncoder().encode("not a ratchet tree"))).toThrow(
      MalformedTreeError,
    );
  });

  it("refuses a blank last node, a node of the wrong type for its position and a bad presence byte", () => {
    const decoded = decodeRatchetTree(trees[2]!, 0)![0]; // after a full-path commit: has parents
    const leaf = decoded[0] as Node;
    const parent = decoded.find((n) => n?.nodeType === "parent") as Node;
    expect(parent).toBeDefined();
    expect(() => indexRatchetTree(encodeNodes([leaf]))).not.toThrow();
    expect(() => indexRatchetTree(encodeNodes([leaf, undefined]))).toThrow(/last node/);
    expect(() => indexRatchetTree(encodeNodes([parent]))).toThrow(/wrong node type/);
    expect(() => indexRatchetTree(encodeNodes([leaf, leaf, leaf]))).toThrow(/wrong node type/);
    const badPresence = encodeNodes([leaf]);
    badPresence[determineLength(badPresence, 0).lengthFieldSize] = 2; // optional<Node> is 0 or 1
    expect(() => indexRatchetTree(badPresence)).toThrow(/presence/);
  });

  it("on 400 random byte mutations throws only MalformedTreeError, and agrees with ts-mls whenever both decode", () => {
    const random = prng(9420);
    const bytes = trees[2]!;
    let bothDecoded = 0;
    for (let i = 0; i < 400; i++) {
      const mutated = bytes.slice();
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) {
        mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      }
      let index: ReturnType<typeof indexRatchetTree> | undefined;
      try {
        index = indexRatchetTree(mutated);
      } catch (err) {
        expect(err).toBeInstanceOf(MalformedTreeError);
      }
      let reference: ReturnType<typeof leavesByTsMls> | undefined;
      try {
        const decoded = decodeRatchetTree(mutated, 0);
        reference =
          decoded !== undefined && decoded[1] === mutated.length ? leavesByTsMls(mutated) : undefined;
      } catch {
        reference = undefined;
      }
      if (index !== undefined && reference !== undefined) {
        bothDecoded++;
        expect(index.leafWidth).toBe(reference.leafWidth);
        expect(
          index.leaves().map((l) => [l.leafIndex, Array.from(l.signaturePublicKey), l.credential]),
        ).toEqual(reference.leaves.map((l) => [l.leafIndex, Array.from(l.signaturePublicKey), l.credential]));
      }
    }
    // Most single-byte changes land in key material, which both decoders accept.
    expect(bothDecoded).toBeGreaterThan(100);
  });
});
