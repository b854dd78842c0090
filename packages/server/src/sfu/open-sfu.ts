import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import type { SfuConfig } from "../config-calls.js";
import { describeError } from "../describe-error.js";
import { JanusClient } from "./janus-client.js";
import { writeJanusConfig } from "./janus-config.js";
import { type JanusProcess, startJanusProcess } from "./janus-process.js";

/** The SFU of voice channels as the server sees it (VOLLY_SFU managed or external). */
export interface Sfu {
  /** managed: this process runs Janus; external: it points at one. */
  readonly mode: "managed" | "external";
  /** The Janus WebSocket API as this server reaches it. */
  readonly url: string;
  /** The Janus WebSocket API as clients reach it (VOLLY_SFU_PUBLIC_URL; default {@link url}). */
  readonly publicUrl: string;
  /** Janus `token_auth_secret` to sign clients' gateway tokens with; undefined: clients need none. */
  readonly tokenSecret?: string;
  /** VideoRoom `admin_key` room creation needs; undefined: none. */
  readonly adminKey?: string;
  /** Opens a new connection to the Janus API, with the API secret. @throws VOLLY_E_SFU_UNAVAILABLE */
  connect(): Promise<JanusClient>;
  /** The managed Janus process (undefined when external). */
  readonly process?: JanusProcess;
  /** Stops a managed Janus and removes its config directory; nothing for an external one. Idempotent. */
  close(): Promise<void>;
}

/** A free TCP port on `host` (bound, read, released: another process could take it in between). */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/**
 * Opens the SFU `config` selects: nothing for `off`; for `managed`, writes a Janus configuration in
 * a fresh temp directory (`writeJanusConfig`), starts Janus on `config.url` (default a free loopback
 * port) with `config.apiSecret` (default 32 random bytes), a fresh token secret for clients' signed
 * gateway tokens and a fresh VideoRoom admin key, and waits until it answers; for
 * `external`, checks once that `config.url` answers `info` — if not, logs a warning and goes on (the
 * SFU may come up later; each use reconnects).
 *
 * @throws VollyError VOLLY_E_SFU_UNAVAILABLE when a managed Janus is not installed, does not start
 *   or does not answer within 30 s
 */
export async function openSfu(config: SfuConfig, logger: FastifyBaseLogger): Promise<Sfu | undefined> {
  if (config.mode === "off") return undefined;
  if (config.mode === "external") {
    const url = config.url as string;
    const connect = () =>
      JanusClient.connect(url, config.apiSecret !== undefined ? { apiSecret: config.apiSecret } : {});
    try {
      const client = await connect();
      try {
        const info = await client.info();
        logger.info({ sfu: "janus", url, version: info.version_string }, "sfu reachable");
      } finally {
        client.close();
      }
    } catch (error) {
      logger.warn({ sfu: "janus", url, err: describeError(error) }, "sfu not reachable yet");
    }
    return {
      mode: "external",
      url,
      publicUrl: config.publicUrl ?? url,
      ...(config.tokenSecret !== undefined ? { tokenSecret: config.tokenSecret } : {}),
      ...(config.adminKey !== undefined ? { adminKey: config.adminKey } : {}),
      connect,
      close: async () => {},
    };
  }
  const apiSecret = config.apiSecret ?? randomBytes(32).toString("base64url");
  const tokenSecret = config.tokenSecret ?? randomBytes(32).toString("base64url");
  const adminKey = config.adminKey ?? randomBytes(32).toString("base64url");
  const parsed = config.url !== undefined ? new URL(config.url) : undefined;
  const host = parsed ? parsed.hostname.replace(/^\[|\]$/g, "") : "127.0.0.1";
  const bindHost = host === "localhost" ? "127.0.0.1" : host;
  const port = parsed ? Number(parsed.port) : await freePort(bindHost);
  const url = `ws://${bindHost.includes(":") ? `[${bindHost}]` : bindHost}:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "volly-janus-"));
  let janus: JanusProcess;
  try {
    const configFile = writeJanusConfig(dir, {
      host: bindHost,
      port,
      apiSecret,
      tokenSecret,
      adminKey,
      ...(config.rtpPortRange !== undefined ? { rtpPortRange: config.rtpPortRange } : {}),
    });
    janus = await startJanusProcess({ configFile, configDir: dir, url, apiSecret, logger });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    mode: "managed",
    url,
    publicUrl: config.publicUrl ?? url,
    tokenSecret,
    adminKey,
    process: janus,
    connect: () => JanusClient.connect(url, { apiSecret }),
    close() {
      closed ??= janus.stop().finally(() => rmSync(dir, { recursive: true, force: true }));
      return closed;
    },
  };
}
