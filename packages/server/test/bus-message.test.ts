import { describe, expect, it } from "vitest";
import type { BusMessage } from "../src/bus/messages.js";
import { parseBusMessage } from "../src/bus/parse-bus-message.js";

const G = "Gggggggggggggggggggggg";
const D = "Dddddddddddddddddddddd";
const entry = {
  groupId: G,
  seq: 4,
  kind: "application" as const,
  messageId: "Mmmmmmmmmmmmmmmmmmmmmm",
  epoch: 1,
  senderDeviceId: D,
  senderAccountId: "Aaaaaaaaaaaaaaaaaaaaaa",
  senderHandle: "alice",
  payload: "AAEC",
  createdAt: 1_700_000_000_000,
};
const withEntry: BusMessage = { type: "group-appended", groupId: G, seq: 4, kind: "application", entry };

const valid: BusMessage[] = [
  { type: "group-appended", groupId: "g", seq: 3, kind: "commit" },
  { type: "welcome", deviceId: "d", welcomeId: "w", groupId: "g" },
  { type: "group-joined", deviceId: "d", groupId: "g", joinedSeq: 0 },
  { type: "presence", nodeId: "n", accountId: "a", handle: "alice", status: "away" },
  { type: "typing", groupId: "g", accountId: "a", handle: "alice", deviceId: "d", at: 1_700_000_000_000 },
  withEntry,
  {
    type: "presence-refresh",
    nodeId: "n",
    views: [
      { accountId: "a", handle: "alice", status: "online" },
      { accountId: "b", handle: "bob", status: "away" },
    ],
  },
];
const refresh = valid[6] as Extract<BusMessage, { type: "presence-refresh" }>;
const aliceView = { accountId: "a", handle: "alice", status: "online" };

describe("bus messages received from Redis are validated", () => {
  it.each(valid.map((m) => [m.type, m]))("accepts a well-formed %s message as is", (_type, message) => {
    expect(parseBusMessage(JSON.stringify(message))).toEqual(message);
  });

  it.each([
    ["not JSON", "{"],
    ["not an object", "[1]"],
    ["null", "null"],
    ["an unknown type", JSON.stringify({ type: "explode" })],
    ["a prototype key as type", JSON.stringify({ type: "toString" })],
    ["a missing field", JSON.stringify({ type: "welcome", deviceId: "d", groupId: "g" })],
    ["an extra field", JSON.stringify({ ...valid[1], payload: "secret" })],
    ["a negative seq", JSON.stringify({ ...valid[0], seq: -1 })],
    ["a fractional seq", JSON.stringify({ ...valid[0], seq: 1.5 })],
    ["a seq beyond 2^53 - 1", JSON.stringify({ ...valid[0], seq: 2 ** 53 })],
    ["an unknown kind", JSON.stringify({ ...valid[0], kind: "other" })],
    ["an unknown status", JSON.stringify({ ...valid[3], status: "busy" })],
    ["an empty id", JSON.stringify({ ...valid[1], deviceId: "" })],
    ["an overlong id", JSON.stringify({ ...valid[1], deviceId: "x".repeat(257) })],
    ["a number as id", JSON.stringify({ ...valid[1], deviceId: 7 })],
    ["an entry of another seq", JSON.stringify({ ...withEntry, entry: { ...entry, seq: 5 } })],
    ["an entry of another group", JSON.stringify({ ...withEntry, entry: { ...entry, groupId: D } })],
    [
      "an entry on a commit",
      JSON.stringify({ ...withEntry, kind: "commit", entry: { ...entry, kind: "commit" } }),
    ],
    ["an entry with an extra field", JSON.stringify({ ...withEntry, entry: { ...entry, secret: 1 } })],
    [
      "an entry missing its payload",
      JSON.stringify({ ...withEntry, entry: { ...entry, payload: undefined } }),
    ],
    ["a refresh without views", JSON.stringify({ ...refresh, views: [] })],
    [
      "a refresh with an offline view",
      JSON.stringify({ ...refresh, views: [{ ...aliceView, status: "offline" }] }),
    ],
    ["a refresh view with an extra field", JSON.stringify({ ...refresh, views: [{ ...aliceView, x: 1 }] })],
    [
      "a refresh view missing its handle",
      JSON.stringify({ ...refresh, views: [{ ...aliceView, handle: undefined }] }),
    ],
    ["a refresh view that is not an object", JSON.stringify({ ...refresh, views: ["a"] })],
    ["a refresh of 501 views", JSON.stringify({ ...refresh, views: Array(501).fill(aliceView) })],
  ])("rejects %s", (_what, text) => {
    expect(parseBusMessage(text)).toBeUndefined();
  });
});

describe("ephemeral bus messages (call signaling relays)", () => {
  const ephemeral = {
    type: "ephemeral",
    groupId: G,
    senderDeviceId: D,
    senderAccountId: "Aaaaaaaaaaaaaaaaaaaaaa",
    senderHandle: "alice",
    epoch: 2,
    ciphertext: "AAEC_-",
  } as const;

  it("accepts a well-formed one as is", () => {
    expect(parseBusMessage(JSON.stringify(ephemeral))).toEqual(ephemeral);
  });

  it.each([
    ["a ciphertext that is not base64url", { ...ephemeral, ciphertext: "a+b/" }],
    ["an oversized ciphertext", { ...ephemeral, ciphertext: "A".repeat(64 * 1024 + 1) }],
    ["a missing sender", { ...ephemeral, senderDeviceId: undefined }],
    ["an extra field", { ...ephemeral, seq: 3 }],
    ["a negative epoch", { ...ephemeral, epoch: -1 }],
  ])("rejects %s", (_what, message) => {
    expect(parseBusMessage(JSON.stringify(message))).toBeUndefined();
  });
});
