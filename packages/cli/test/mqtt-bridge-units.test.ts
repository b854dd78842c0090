import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ID_PATTERN, LIMITS, VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { parseBrokerUrl } from "../src/bridge/mqtt/connect.js";
import { derivedMessageId } from "../src/bridge/mqtt/message-id.js";
import { openPacketLedger } from "../src/bridge/mqtt/packet-ledger.js";
import { decodeSendPayload } from "../src/bridge/mqtt/payload.js";
import { checkTopicPrefix, topicsUnder } from "../src/bridge/mqtt/topics.js";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof VollyError ? err.code : String(err);
  }
  return "no error";
};
const bytes = (s: string) => new TextEncoder().encode(s);

describe("MQTT bridge payloads", () => {
  it("takes plain UTF-8 text and JSON {text, id?}", () => {
    expect(decodeSendPayload(bytes("21.5 °C"))).toEqual({ text: "21.5 °C" });
    expect(decodeSendPayload(bytes(' {"text":"hi","id":"r-1"}'))).toEqual({ text: "hi", id: "r-1" });
  });
  it("refuses bad UTF-8, bad JSON, other fields, empty and too long text", () => {
    expect(codeOf(() => decodeSendPayload(Uint8Array.from([0x68, 0xff])))).toBe("VOLLY_E_BAD_REQUEST");
    expect(codeOf(() => decodeSendPayload(bytes("{nope")))).toBe("VOLLY_E_BAD_REQUEST");
    expect(codeOf(() => decodeSendPayload(bytes('{"text":"a","x":1}')))).toBe("VOLLY_E_BAD_REQUEST");
    expect(codeOf(() => decodeSendPayload(bytes("")))).toBe("VOLLY_E_BAD_REQUEST");
    expect(codeOf(() => decodeSendPayload(bytes('{"text":""}')))).toBe("VOLLY_E_BAD_REQUEST");
    expect(codeOf(() => decodeSendPayload(bytes("x".repeat(LIMITS.maxTextChars + 1))))).toBe(
      "VOLLY_E_PAYLOAD_TOO_LARGE",
    );
  });
});

describe("MQTT bridge topics and URLs", () => {
  const t = topicsUnder("home/volly");
  const id = "AAAAAAAAAAAAAAAAAAAAAA";
  it("maps PREFIX/ID/send to the conversation and its errors topic", () => {
    expect(t.sendFilter).toBe("home/volly/+/send");
    expect(t.conversationOf(`home/volly/${id}/send`)).toBe(id);
    expect(t.errorsFor(`home/volly/${id}/send`)).toBe(`home/volly/${id}/errors`);
    expect(t.messages(id)).toBe(`home/volly/${id}/messages`);
    expect(codeOf(() => t.conversationOf("home/volly/short/send"))).toBe("VOLLY_E_BAD_REQUEST");
    expect(codeOf(() => t.conversationOf(`home/volly/${id}/send/x`))).toBe("VOLLY_E_BAD_REQUEST");
  });
  it("refuses prefixes with wildcards or empty levels, and broker URLs with credentials or paths", () => {
    for (const p of ["", "a/+", "#", "/a", "a/", "a//b"])
      expect(codeOf(() => checkTopicPrefix(p))).toBe("VOLLY_E_USAGE");
    expect(parseBrokerUrl("mqtts://broker.lan:8883")).toBe("mqtts://broker.lan:8883");
    for (const u of ["http://x:1", "mqtt://u:p@x:1", "mqtt://x:1/path", "nope"])
      expect(codeOf(() => parseBrokerUrl(u))).toBe("VOLLY_E_USAGE");
  });
});

describe("MQTT bridge message ids", () => {
  it("derives stable, valid ids that never start with '-'", () => {
    expect(derivedMessageId("a", "b")).toBe(derivedMessageId("a", "b"));
    expect(derivedMessageId("a", "b")).not.toBe(derivedMessageId("ab", ""));
    for (let i = 0; i < 200; i++) {
      const id = derivedMessageId(String(i));
      expect(id).toMatch(new RegExp(ID_PATTERN));
      expect(id.startsWith("-")).toBe(false);
    }
  });
  it("gives a redelivery (DUP) of a stored packet its old id, a new packet under a reused packet id a new one, across restarts", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "volly-ledger-")), "ledger.json");
    const packet = { topic: "v/x/send", payload: bytes("on"), packetId: 7, dup: false };
    const ledger = await openPacketLedger(file, "client-1");
    const first = ledger.messageIdOf(packet);
    expect(ledger.messageIdOf({ ...packet, dup: true })).toBe(first); // not stored yet: same id
    await ledger.stored(packet);
    const reopened = await openPacketLedger(file, "client-1");
    expect(reopened.messageIdOf({ ...packet, dup: true })).toBe(first); // PUBACK lost: redelivered
    const reused = reopened.messageIdOf(packet); // packet id 7 reused for a new message
    expect(reused).not.toBe(first);
    expect((await openPacketLedger(file, "client-2")).messageIdOf(packet)).not.toBe(first);
  });
});
