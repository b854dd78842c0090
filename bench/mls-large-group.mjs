#!/usr/bin/env node
/**
 * Measures MLS costs in a large group with the X-Wing suite (MLS_256_XWING_AES256GCM_SHA512_Ed25519),
 * using the built @volly/crypto (run `npx tsc -b` first):
 *
 * - adding one member to a group of N member devices (the committer's addMembers: full UpdatePath),
 *   processing that commit on another member, and the new member joining from its Welcome;
 * - a 1 KiB application message: encrypt on the committer, decrypt on a receiver.
 *
 * The N-member tree is built by one committer adding members in batches (one commit per batch), so
 * building is cheap compared with N single adds. Prints one JSON object on stdout.
 *
 * Usage: node bench/mls-large-group.mjs [members=1000] [batch=100] [messages=20]
 */
import { performance } from "node:perf_hooks";
import {
  addMembers,
  createGroup,
  DEFAULT_CIPHERSUITE,
  encodeGroup,
  encryptApplication,
  generateIdentity,
  generateKeyPackage,
  groupMembers,
  joinFromWelcome,
  loadSuite,
  processMessage,
} from "@volly/crypto";

const members = Number(process.argv[2] ?? 1000);
const batchSize = Number(process.argv[3] ?? 100);
const messages = Number(process.argv[4] ?? 20);

const suite = await loadSuite(DEFAULT_CIPHERSUITE);
const ms = (start) => Math.round((performance.now() - start) * 100) / 100;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function device(i) {
  const identity = generateIdentity();
  return generateKeyPackage(suite, identity, { accountId: `acct-${i}`, deviceId: `dev-${i}` });
}

const buildStart = performance.now();
let committer = await createGroup(suite, "bench-group", await device(0));
let receiver;
let receiverKp;
let keyPackageMs = 0;
for (let next = 1; next < members - 1; ) {
  const count = Math.min(batchSize, members - 1 - next);
  const t = performance.now();
  const kps = [];
  for (let i = 0; i < count; i++) kps.push(await device(next + i));
  keyPackageMs += performance.now() - t;
  const last = next + count >= members - 1;
  if (last) {
    receiverKp = await device("receiver");
    kps.push(receiverKp);
  }
  const added = await addMembers(
    suite,
    committer,
    kps.map((k) => k.keyPackage),
  );
  committer = added.newGroup;
  if (last) receiver = { welcome: added.welcome, tree: added.ratchetTree };
  next += count;
}
const buildMs = ms(buildStart);
let t = performance.now();
let receiverGroup = await joinFromWelcome(suite, receiver.welcome, receiver.tree, receiverKp);
const receiverJoinMs = ms(t);
const sizeBefore = groupMembers(committer).length;

// one more member: the measured add
const newcomer = await device("newcomer");
t = performance.now();
const add = await addMembers(suite, committer, [newcomer.keyPackage]);
const addOneMs = ms(t);
committer = add.newGroup;
t = performance.now();
const processed = await processMessage(suite, receiverGroup, add.commit);
const processAddMs = ms(t);
receiverGroup = processed.newGroup;
t = performance.now();
await joinFromWelcome(suite, add.welcome, add.ratchetTree, newcomer);
const newcomerJoinMs = ms(t);

// 1 KiB application messages
const plaintext = new Uint8Array(1024).fill(42);
const encryptTimes = [];
const decryptTimes = [];
let ciphertextBytes = 0;
for (let i = 0; i < messages; i++) {
  t = performance.now();
  const sent = await encryptApplication(suite, committer, plaintext);
  encryptTimes.push(ms(t));
  committer = sent.newGroup;
  ciphertextBytes = sent.ciphertext.length;
  t = performance.now();
  const got = await processMessage(suite, receiverGroup, sent.ciphertext);
  decryptTimes.push(ms(t));
  receiverGroup = got.newGroup;
}

console.log(
  JSON.stringify(
    {
      ciphersuite: suite.name,
      node: process.version,
      membersBeforeAdd: sizeBefore,
      batchSize,
      build: { totalMs: buildMs, keyPackagesMs: Math.round(keyPackageMs) },
      receiverJoinFromWelcomeMs: receiverJoinMs,
      addOneMember: {
        commitMs: addOneMs,
        processOnMemberMs: processAddMs,
        newcomerJoinMs,
        commitBytes: add.commit.length,
        welcomeBytes: add.welcome.length,
        ratchetTreeBytes: add.ratchetTree.length,
        groupStateBytes: encodeGroup(committer).length,
      },
      message1KiB: {
        samples: messages,
        encryptMedianMs: median(encryptTimes),
        decryptMedianMs: median(decryptTimes),
        ciphertextBytes,
      },
    },
    null,
    2,
  ),
);
