import { fromUtf8, utf8, VollyError } from "@volly/protocol";
import { decodeMlsMessage, encodeMlsMessage } from "ts-mls";
import { createMembershipTag } from "ts-mls/authenticatedContent.js";
import { type FramedContentTBS, signFramedContentTBS } from "ts-mls/framedContent.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  createGroup,
  type DeviceIdentity,
  encodeGroup,
  encryptApplication,
  generateIdentity,
  generateKeyPackage,
  groupEpoch,
  inspectCommit,
  joinFromWelcome,
  loadSuite,
  type MlsGroup,
  type MlsSuite,
  processMessage,
  publicGroupState,
  removeMembers,
} from "../src/index.js";
import { peekState, suiteImpl } from "../src/mls-internal.js";

async function kp(suite: MlsSuite, identity: DeviceIdentity, n: number) {
  return generateKeyPackage(suite, identity, { accountId: `acct-${n}`, deviceId: `dev-${n}` });
}

/** alice (leaf 0) with bob and carol, all at epoch 1; alice's identity is returned to forge with. */
async function threeMembers(suite: MlsSuite) {
  const aliceId = generateIdentity();
  const bobKp = await kp(suite, generateIdentity(), 1);
  const carolKp = await kp(suite, generateIdentity(), 2);
  const add = await addMembers(
    suite,
    await createGroup(suite, "g-unprocessable", await kp(suite, aliceId, 0)),
    [bobKp.keyPackage, carolKp.keyPackage],
  );
  return {
    aliceId,
    alice: add.newGroup,
    bob: await joinFromWelcome(suite, add.welcome, add.ratchetTree, bobKp),
  };
}

/** The failure's VOLLY_E_DECRYPT_FAILED details (throws if it did not fail that way). */
async function decryptFailure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VollyError);
  expect((err as VollyError).code).toBe("VOLLY_E_DECRYPT_FAILED");
  return (err as VollyError).details ?? {};
}

/**
 * Re-signs a changed public commit as its committer would (FramedContentTBS with the GroupContext,
 * RFC 9420 §6.1) and recomputes its membership tag (§6.2): a member producing a commit that the
 * delivery service cannot tell from a valid one.
 */
async function resign(
  suite: MlsSuite,
  committer: MlsGroup,
  signKey: Uint8Array,
  message: ReturnType<typeof publicMessageOf>,
): Promise<Uint8Array> {
  const state = peekState(committer);
  const impl = suiteImpl(suite);
  const pm = message.publicMessage;
  const tbs: FramedContentTBS = {
    protocolVersion: state.groupContext.version,
    wireformat: "mls_public_message",
    content: pm.content,
    senderType: "member",
    context: state.groupContext,
  };
  pm.auth = { ...pm.auth, signature: await signFramedContentTBS(signKey, tbs, impl.signature) };
  if (pm.senderType !== "member") throw new Error("expected a member commit");
  pm.membershipTag = await createMembershipTag(
    state.keySchedule.membershipKey,
    { contentTbs: tbs, auth: pm.auth },
    impl.hash,
  );
  return encodeMlsMessage(message);
}

/** Decodes a copy: ts-mls decodes into views of its input, and the tests change the result. */
function publicMessageOf(bytes: Uint8Array) {
  const message = decodeMlsMessage(bytes.slice(), 0)?.[0];
  if (message?.wireformat !== "mls_public_message") throw new Error("expected a public message");
  return message;
}

/** Both directions still work between the two states. */
async function talk(suite: MlsSuite, a: MlsGroup, b: MlsGroup): Promise<[MlsGroup, MlsGroup]> {
  const sent = await encryptApplication(suite, a, utf8("ping"));
  const got = await processMessage(suite, b, sent.ciphertext);
  expect(got.kind === "application" && fromUtf8(got.plaintext)).toBe("ping");
  const back = await encryptApplication(suite, got.newGroup, utf8("pong"));
  const gotBack = await processMessage(suite, sent.newGroup, back.ciphertext);
  expect(gotBack.kind === "application" && fromUtf8(gotBack.plaintext)).toBe("pong");
  return [gotBack.newGroup, back.newGroup];
}

describe("a commit a member cannot process fails with a typed error and leaves its state as it was", () => {
  let suite: MlsSuite;
  beforeAll(async () => {
    suite = await loadSuite();
  });

  it("a commit for an epoch the member has not reached: wrong-epoch, then the missed commit and it both apply", async () => {
    const t = await threeMembers(suite);
    const first = await addMembers(suite, t.alice, [(await kp(suite, generateIdentity(), 3)).keyPackage]);
    const second = await addMembers(suite, first.newGroup, [
      (await kp(suite, generateIdentity(), 4)).keyPackage,
    ]);
    const before = encodeGroup(t.bob);
    expect(await decryptFailure(processMessage(suite, t.bob, second.commit))).toMatchObject({
      cause: "wrong-epoch",
      epoch: 1,
      messageEpoch: 2,
    });
    expect(encodeGroup(t.bob)).toEqual(before); // not consumed, not changed
    const bob2 = (await processMessage(suite, t.bob, first.commit)).newGroup;
    const bob3 = (await processMessage(suite, bob2, second.commit)).newGroup;
    expect(groupEpoch(bob3)).toBe(3);
    await talk(suite, second.newGroup, bob3);
  });

  it("a commit with a corrupted UpdatePath, re-signed by its committer: the delivery service accepts it, members fail it and can go on", async () => {
    const t = await threeMembers(suite);
    const genuine = await removeMembers(suite, t.alice, ["dev-2"]);
    const message = publicMessageOf(genuine.commit);
    const content = message.publicMessage.content;
    if (content.contentType !== "commit" || content.commit.path === undefined)
      throw new Error("expected a path");
    // Corrupt the path secret encrypted to bob's part of the tree.
    for (const node of content.commit.path.nodes) {
      for (const ct of node.encryptedPathSecret) ct.ciphertext[0]! ^= 0x01;
    }
    const forged = await resign(suite, t.alice, t.aliceId.signaturePrivateKey, message);

    // What the server can check holds: framing, epoch, sender leaf, signature.
    const stored = await publicGroupState(suite, t.alice);
    const inspection = await inspectCommit(suite, forged, { ...stored });
    expect(inspection.removed.map((m) => m.credential.deviceId)).toEqual(["dev-2"]);

    const before = encodeGroup(t.bob);
    const details = await decryptFailure(processMessage(suite, t.bob, forged));
    expect(["other", "bad-signature"]).toContain(details.cause);
    expect(encodeGroup(t.bob)).toEqual(before);
    // The same state processes the genuine commit afterwards (or, in the app, resyncs).
    const bob = (await processMessage(suite, t.bob, genuine.commit)).newGroup;
    expect(groupEpoch(bob)).toBe(2);
    await talk(suite, genuine.newGroup, bob);
  });

  it("a commit with a wrong membership tag: the delivery service cannot check it (§6.2), members refuse it as bad-signature", async () => {
    const t = await threeMembers(suite);
    const genuine = await addMembers(suite, t.alice, [(await kp(suite, generateIdentity(), 3)).keyPackage]);
    const message = publicMessageOf(genuine.commit);
    if (message.publicMessage.senderType !== "member") throw new Error("expected a member commit");
    message.publicMessage.membershipTag[0]! ^= 0x01;
    const forged = encodeMlsMessage(message);
    await expect(inspectCommit(suite, forged, await publicGroupState(suite, t.alice))).resolves.toBeDefined();
    const before = encodeGroup(t.bob);
    expect(await decryptFailure(processMessage(suite, t.bob, forged))).toMatchObject({
      cause: "bad-signature",
    });
    expect(encodeGroup(t.bob)).toEqual(before);
    const bob = (await processMessage(suite, t.bob, genuine.commit)).newGroup;
    await talk(suite, genuine.newGroup, bob);
  });
});
