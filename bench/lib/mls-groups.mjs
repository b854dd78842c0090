/**
 * Big MLS groups built in-process with @volly/crypto, for the workloads that measure what a group's
 * size costs a client (group-state, channel-membership).
 */
import {
  addMembers,
  createGroup,
  generateIdentity,
  generateKeyPackage,
  joinFromWelcome,
} from "@volly/crypto";
import { newId } from "@volly/protocol";

let deviceCounter = 0;

/** A fresh device's identity and key package (credential `acct-n` / `dev-n`). */
export async function newDevice(suite) {
  const n = deviceCounter++;
  const identity = generateIdentity();
  const generated = await generateKeyPackage(suite, identity, {
    accountId: `acct-${n}`,
    deviceId: `dev-${n}`,
  });
  return { ...generated, identity, credential: { accountId: `acct-${n}`, deviceId: `dev-${n}` } };
}

/**
 * A group of `size` devices: the creator adds everyone in commits of up to 500 Adds; the device
 * added last joins from the last Welcome. Returns the creator's and that receiver's states.
 */
export async function buildGroup(suite, size) {
  const creatorKp = await newDevice(suite);
  let creator = await createGroup(suite, newId(), creatorKp);
  const receiverKp = await newDevice(suite);
  const others = [];
  for (let i = 2; i < size; i++) others.push((await newDevice(suite)).keyPackage);
  others.push(receiverKp.keyPackage);
  let last;
  for (let i = 0; i < others.length; i += 500) {
    last = await addMembers(suite, creator, others.slice(i, i + 500));
    creator = last.newGroup;
  }
  const receiver = await joinFromWelcome(suite, last.welcome, last.ratchetTree, receiverKp);
  return { creator, receiver };
}
