import { readFile } from "node:fs/promises";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import type { MqttBridge } from "../bridge/mqtt/bridge.js";
import { checkTopicPrefix } from "../bridge/mqtt/topics.js";
import { memberUnlock } from "../member-unlock.js";
import { profileDir } from "../options.js";
import type { Run } from "../output.js";

/** Options of `volly bridge mqtt`. */
interface MqttOptions {
  broker: string;
  topicPrefix: string;
  username?: string;
  passwordFile?: string;
  ca?: string;
  clientId?: string;
  direct?: boolean;
}

/** Reads a secret file (a password: the first line, trimmed). Throws VOLLY_E_USAGE. */
async function readSmallFile(flag: string, path: string): Promise<Buffer> {
  try {
    const data = await readFile(path);
    if (data.byteLength > 1_000_000) throw new Error("over 1 MB");
    return data;
  } catch (err) {
    throw new VollyError("VOLLY_E_USAGE", `${flag} ${path}: ${(err as Error).message}`);
  }
}

/** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve(sig));
  });
}

/**
 * `volly bridge mqtt --broker mqtt://HOST:PORT [--topic-prefix volly] [--username U
 * --password-file F] [--ca FILE] [--client-id ID] [--direct]`: runs this profile's member (a device or service
 * account) as a bridge between its conversations and an MQTT broker until SIGINT/SIGTERM. Topics
 * and payloads: docs/machine-members/mqtt.md. Bad flags: VOLLY_E_USAGE (exit 2), nothing started.
 */
export function registerBridge(program: Command, run: Run): void {
  const bridge = program.command("bridge").description("bridge conversations to other systems");
  bridge
    .command("mqtt")
    .description("map this member's conversations to MQTT topics (PREFIX/CONVERSATION_ID/send|messages)")
    .requiredOption("--broker <url>", "mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS")
    .option("--topic-prefix <prefix>", "first topic level(s)", "volly")
    .option("--username <name>", "broker user name")
    .option("--password-file <file>", "file holding the broker password (first line)")
    .option("--ca <file>", "PEM CA certificate the broker's TLS certificate chains to (mqtts://)")
    .option("--client-id <id>", "MQTT client id (default volly-HANDLE-HASH; keep it fixed across restarts)")
    .option(
      "--direct",
      "direct paths to member devices (LAN discovery by mDNS, WebRTC data channels signaled in MLS)",
    )
    .action((o: MqttOptions) =>
      run(async (out, g) => {
        // Loaded here, not at start-up: every other command would pay for mqtt.js.
        const [{ startBot }, { startMqttBridge }, { parseBrokerUrl }] = await Promise.all([
          import("@volly/bot"),
          import("../bridge/mqtt/bridge.js"),
          import("../bridge/mqtt/connect.js"),
        ]);
        const url = parseBrokerUrl(o.broker);
        const prefix = checkTopicPrefix(o.topicPrefix);
        if (o.ca !== undefined && !url.startsWith("mqtts:")) {
          throw new VollyError("VOLLY_E_USAGE", "--ca needs an mqtts:// broker URL.");
        }
        if (o.passwordFile !== undefined && o.username === undefined) {
          throw new VollyError("VOLLY_E_USAGE", "--password-file needs --username.");
        }
        if (o.clientId !== undefined && !/^[\x21-\x7e]{1,64}$/.test(o.clientId)) {
          throw new VollyError("VOLLY_E_USAGE", "--client-id is 1-64 printable ASCII characters.");
        }
        const password =
          o.passwordFile !== undefined
            ? (await readSmallFile("--password-file", o.passwordFile)).toString("utf8").split(/\r?\n/)[0]
            : undefined;
        const ca = o.ca !== undefined ? await readSmallFile("--ca", o.ca) : undefined;
        const dir = profileDir(g);
        const bot = await startBot({
          dir,
          ...(await memberUnlock(g)),
          ...(o.direct ? { direct: true } : {}),
        });
        let mqtt: MqttBridge | undefined;
        try {
          mqtt = await startMqttBridge({
            bot,
            broker: {
              url,
              ...(o.username !== undefined ? { username: o.username } : {}),
              ...(password !== undefined ? { password } : {}),
              ...(ca ? { ca } : {}),
              ...(o.clientId !== undefined ? { clientId: o.clientId } : {}),
            },
            prefix,
            stateDir: dir,
            log: (line) => process.stderr.write(`${line}\n`),
          });
          out.result(
            {
              bridge: "mqtt",
              handle: bot.handle,
              broker: url,
              prefix,
              clientId: mqtt.clientId,
              protocolVersion: mqtt.protocolVersion,
            },
            `bridging @${bot.handle} to ${url} under ${prefix}/ (Ctrl-C to stop)`,
          );
          const signal = await stopSignal();
          out.note(`${signal}: stopping the bridge`);
        } finally {
          await mqtt?.close();
          await bot.close();
        }
      }),
    );
}
