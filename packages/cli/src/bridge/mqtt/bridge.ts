import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Bot } from "@volly/bot";
import type { MqttClient } from "mqtt";
import { type BrokerOptions, connectBroker } from "./connect.js";
import { handleInbound } from "./inbound.js";
import { publishedMessage } from "./outbound.js";
import { openPacketLedger } from "./packet-ledger.js";
import { topicsUnder } from "./topics.js";

/** Options of {@link startMqttBridge}. */
export interface MqttBridgeOptions {
  /** The connected machine member the bridge speaks for. */
  bot: Bot;
  /** The broker (URL, credentials, TLS CA); the client id and Will are the bridge's own. */
  broker: Omit<BrokerOptions, "will" | "clientId" | "onProblem"> & { clientId?: string };
  /** Topic prefix (default `volly`). */
  prefix: string;
  /** Directory for the bridge's state (the packet ledger), e.g. the profile directory. */
  stateDir: string;
  /** Log lines (stderr in `volly bridge mqtt`). */
  log(line: string): void;
}

/** A running bridge. */
export interface MqttBridge {
  /** 5 (MQTT 5) or 4 (MQTT 3.1.1), as the broker accepted. */
  readonly protocolVersion: 4 | 5;
  readonly clientId: string;
  /** Publishes `offline` on the status topic, stops both directions and disconnects from the broker (not the bot). */
  close(): Promise<void>;
}

/** How long `close` waits for the broker to acknowledge the `offline` status, ms. */
const CLOSE_WAIT_MS = 2_000;

/** The status topic's payloads. */
export const STATUS = { online: "online", offline: "offline" } as const;

/**
 * Starts the MQTT bridge for `bot`: subscribes to `PREFIX/+/send` (QoS 1) and sends each message
 * into its conversation before acknowledging it, publishes each message `bot` receives on
 * `PREFIX/CONVERSATION_ID/messages` (QoS 1), and keeps `PREFIX/status` at `online` (retained) with
 * the Will `offline`. Topic layout: `topics.ts`; payloads: `payload.ts`; ids without duplicates:
 * `packet-ledger.ts`. docs/machine-members/mqtt.md.
 *
 * @throws VollyError VOLLY_E_USAGE (bad prefix), VOLLY_E_BROKER_REFUSED (login refused)
 */
export async function startMqttBridge(options: MqttBridgeOptions): Promise<MqttBridge> {
  const { bot, log } = options;
  const topics = topicsUnder(options.prefix);
  const clientId =
    options.broker.clientId ??
    `volly-${bot.handle}-${createHash("sha256").update(topics.prefix).digest("hex").slice(0, 8)}`;
  const ledger = await openPacketLedger(join(options.stateDir, "mqtt-bridge-ledger.json"), clientId);
  const closing = new AbortController();
  let mqttClient: MqttClient | undefined;

  const publish = async (topic: string, body: string, retain = false) => {
    if (!mqttClient) throw new Error("not connected");
    await mqttClient.publishAsync(topic, body, { qos: 1, retain });
  };
  const install = (client: MqttClient) => {
    // mqtt.js sends the PUBACK of a QoS 1 PUBLISH when this callback is called (both MQTT 5 and 3.1.1).
    client.handleMessage = (packet, done) => {
      if (packet.cmd !== "publish" || packet.qos === 0) return done();
      handleInbound(
        {
          topics,
          ledger,
          send: async (conversationId, text, id) => {
            await bot.client.messaging.send(conversationId, text, { id });
          },
          publishError: (topic, error) => publish(topic, JSON.stringify(error)),
          log,
          signal: closing.signal,
        },
        {
          topic: packet.topic,
          payload: typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload,
          packetId: packet.messageId ?? 0,
          dup: packet.dup,
        },
      ).then(
        () => done(),
        () => undefined, // closing: left unacknowledged, delivered again to the next session
      );
    };
    client.on("error", (err) => log(`broker: ${err.message}`));
  };

  const { client, protocolVersion } = await connectBroker(
    {
      ...options.broker,
      clientId,
      will: { topic: topics.status, payload: STATUS.offline },
      onProblem: log,
    },
    install,
  );
  mqttClient = client;
  client.on("connect", () => {
    log("broker: reconnected");
    void publish(topics.status, STATUS.online, true).catch((e: Error) => log(`status: ${e.message}`));
  });
  client.on("offline", () => log("broker: connection lost, reconnecting"));
  await client.subscribeAsync(topics.sendFilter, { qos: 1 });
  await publish(topics.status, STATUS.online, true);

  const stop = bot.onMessage(async (m) => {
    await publish(topics.messages(m.conversationId), JSON.stringify(publishedMessage(m)));
  });
  log(
    `bridge: ${bot.handle} on ${options.broker.url} (MQTT ${protocolVersion === 5 ? "5" : "3.1.1"}), topics ${topics.prefix}/…`,
  );

  return {
    protocolVersion,
    clientId,
    async close() {
      stop();
      closing.abort();
      // Bounded: an aborted handler never releases mqtt.js's packet loop, so this PUBACK may not come.
      await Promise.race([
        publish(topics.status, STATUS.offline, true).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref()),
      ]);
      // Forced: no DISCONNECT, so the broker also publishes the Will (`offline`), and nothing waits
      // for the PUBACKs the blocked loop would never read. Unacknowledged packets stay in the session.
      await client.endAsync(true);
    },
  };
}
