import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type Static, Type } from "@sinclair/typebox";
import { parse } from "@volly/protocol";
import { derivedMessageId } from "./message-id.js";

const LedgerFile = Type.Object(
  {
    v: Type.Literal(1),
    clientId: Type.String(),
    packets: Type.Record(
      Type.String({ pattern: "^[0-9]{1,5}$" }),
      Type.Object(
        {
          gen: Type.Integer({ minimum: 0 }),
          digest: Type.String({ description: "SHA-256 (hex) of topic and payload last acknowledged" }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: "MqttPacketLedger", additionalProperties: false },
);
type LedgerFile = Static<typeof LedgerFile>;

/** A received QoS 1 PUBLISH as the ledger sees it. */
export interface InboundPacket {
  topic: string;
  payload: Uint8Array;
  /** The MQTT packet identifier, 1–65535 (unique among the session's unacknowledged packets). */
  packetId: number;
  /** The DUP flag: the broker re-delivers a packet it may have sent before. */
  dup: boolean;
}

/**
 * Deterministic Volly message ids for MQTT packets without a payload `id`, persisted in a JSON file.
 *
 * Within a persistent session (clean: false / MQTT 5 session expiry) the broker re-delivers an
 * unacknowledged QoS 1 PUBLISH with the DUP flag and the SAME packet id — also after the bridge
 * restarts. Packet ids are reused once acknowledged, so the id is derived from (client id, packet
 * id, generation of that packet id, topic, payload); the generation is bumped and saved BEFORE the
 * PUBACK goes out. A re-delivery of a packet that was stored but whose PUBACK was lost (DUP set,
 * same topic and payload as the one last acknowledged under that packet id) maps to the previous
 * generation, so it gets the id it was stored under and the SDK drops it.
 */
export interface PacketLedger {
  /** The Volly message id for `packet`. */
  messageIdOf(packet: InboundPacket): string;
  /** Records that `packet` is stored in its conversation; resolves once that is on disk. */
  stored(packet: InboundPacket): Promise<void>;
}

function digestOf(packet: InboundPacket): string {
  return createHash("sha256").update(packet.topic).update("\u0000").update(packet.payload).digest("hex");
}

/**
 * Opens (or starts) the ledger in `file` for the MQTT session of `clientId`; a file written for
 * another client id is started afresh. Throws VOLLY_E_BAD_REQUEST when the file is not a ledger.
 */
export async function openPacketLedger(file: string, clientId: string): Promise<PacketLedger> {
  let state: LedgerFile = { v: 1, clientId, packets: {} };
  try {
    const loaded = parse(LedgerFile, JSON.parse(await readFile(file, "utf8")));
    if (loaded.clientId === clientId) state = loaded;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let writing: Promise<void> = Promise.resolve();
  const save = () => {
    const snapshot = JSON.stringify(state);
    writing = writing.then(async () => {
      await writeFile(`${file}.tmp`, snapshot, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    });
    return writing;
  };
  const generationOf = (packet: InboundPacket): number => {
    const entry = state.packets[String(packet.packetId)];
    if (!entry) return 0;
    return packet.dup && entry.digest === digestOf(packet) ? entry.gen - 1 : entry.gen;
  };
  return {
    messageIdOf: (packet) =>
      derivedMessageId(
        "mqtt-packet",
        clientId,
        String(packet.packetId),
        String(generationOf(packet)),
        packet.topic,
        digestOf(packet),
      ),
    stored(packet) {
      const gen = generationOf(packet) + 1;
      state.packets[String(packet.packetId)] = { gen, digest: digestOf(packet) };
      return save();
    },
  };
}
