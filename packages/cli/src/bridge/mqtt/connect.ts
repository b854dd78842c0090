import { VollyError } from "@volly/protocol";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

/** How to reach and log in to the broker. */
export interface BrokerOptions {
  /** `mqtt://HOST:PORT` or `mqtts://HOST:PORT` (TLS). */
  url: string;
  /** MQTT client id: fixed, so the broker keeps the bridge's session across restarts. */
  clientId: string;
  username?: string;
  password?: string;
  /** PEM CA certificate(s) the broker's TLS certificate must chain to (mqtts:// only). */
  ca?: Buffer;
  /** Topic and payload the broker publishes (retained, QoS 1) when the bridge goes away. */
  will: { topic: string; payload: string };
  /** Called with each broker connection problem while (re)connecting (e.g. unreachable). */
  onProblem?(message: string): void;
}

/** How long the broker keeps the bridge's session (and queued QoS 1 messages) while it is away: 7 days, s. */
export const SESSION_EXPIRY_S = 7 * 24 * 3600;

/** MQTT 5 CONNACK reason 132 / MQTT 3.1.1 return code 1: unsupported protocol version. */
const UNSUPPORTED_VERSION = new Set([1, 132]);

/**
 * Parses a broker URL: `mqtt://HOST[:PORT]` or `mqtts://HOST[:PORT]`, nothing after the port.
 * Throws VOLLY_E_USAGE.
 */
export function parseBrokerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new VollyError("VOLLY_E_USAGE", `Not a broker URL: ${value}`);
  }
  if (url.protocol !== "mqtt:" && url.protocol !== "mqtts:") {
    throw new VollyError("VOLLY_E_USAGE", "--broker must be mqtt://HOST:PORT or mqtts://HOST:PORT");
  }
  if (url.username || url.password || (url.pathname !== "" && url.pathname !== "/") || url.search) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      "--broker takes only a host and port (credentials: --username and --password-file).",
    );
  }
  return `${url.protocol}//${url.host}`;
}

function clientOptions(o: BrokerOptions, protocolVersion: 4 | 5): IClientOptions {
  return {
    clientId: o.clientId,
    protocolVersion,
    clean: false,
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_S } } : {}),
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    resubscribe: true,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.ca ? { ca: o.ca } : {}),
    rejectUnauthorized: true,
    will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: true },
  };
}

/**
 * Connects with MQTT 5, falling back to MQTT 3.1.1 when the broker does not speak 5; resolves with
 * the connected client (it reconnects by itself afterwards, resuming the session). While the broker
 * is unreachable it keeps trying (each failure reported to `onProblem`).
 *
 * @param setup called on the new client before it connects (e.g. to install `handleMessage`, so
 *   no queued message of the resumed session is handled by the default)
 * @throws VollyError VOLLY_E_BROKER_REFUSED (details.reasonCode) when the broker refuses the login
 */
export async function connectBroker(
  o: BrokerOptions,
  setup: (client: MqttClient) => void,
): Promise<{ client: MqttClient; protocolVersion: 4 | 5 }> {
  for (const protocolVersion of [5, 4] as const) {
    const client = mqtt.connect(o.url, { ...clientOptions(o, protocolVersion), manualConnect: true });
    setup(client);
    const outcome = await new Promise<"connected" | number>((resolve) => {
      const onError = (err: Error & { code?: unknown }) => {
        if (typeof err.code === "number") return resolve(err.code);
        o.onProblem?.(`broker ${o.url}: ${err.message}`);
      };
      client.on("error", onError);
      client.once("connect", () => {
        client.off("error", onError);
        resolve("connected");
      });
      client.connect();
    });
    if (outcome === "connected") return { client, protocolVersion };
    await client.endAsync(true);
    if (protocolVersion === 5 && UNSUPPORTED_VERSION.has(outcome)) continue;
    throw new VollyError(
      "VOLLY_E_BROKER_REFUSED",
      `The broker ${o.url} refused the connection (reason code ${outcome}).`,
      { reasonCode: outcome },
    );
  }
  throw new VollyError("VOLLY_E_BROKER_REFUSED", `The broker ${o.url} speaks neither MQTT 5 nor 3.1.1.`);
}
