import { IceServerUrl, MAX_ICE_SERVER_URLS, MAX_TURN_TTL_SECONDS, matches } from "@volly/protocol";
import { envReader, usage } from "./config-env.js";

/**
 * STUN/TURN servers handed to calls (docs/deployment.md "Calls: TURN and SFU"): `GET
 * /v1/calls/ice-servers` answers these URLs, TURN ones with credentials of the TURN REST API
 * (draft-uberti-behave-turn-rest-00) that coturn checks with `use-auth-secret` +
 * `static-auth-secret=<secret>`.
 */
export interface TurnConfig {
  /** `stun:`, `stuns:`, `turn:` and `turns:` URLs (VOLLY_TURN_URLS, comma-separated). */
  urls: string[];
  /** coturn's `static-auth-secret` (VOLLY_TURN_SECRET); required when a turn:/turns: URL is listed. */
  secret?: string;
  /**
   * How long minted TURN credentials stay valid (s), 60–86,400 (VOLLY_TURN_TTL_SECONDS). Default
   * {@link DEFAULT_TURN_TTL_SECONDS}.
   */
  ttlSeconds: number;
}

/**
 * Default TURN credential lifetime: one hour. coturn checks the expiry on every authenticated
 * request of an allocation, its refreshes included, so a credential must outlive call set-up and
 * typical calls; but it is visible to the page and to anything scraping it, so a leaked one should
 * stop relaying soon. Longer calls fetch fresh credentials and restart ICE (which a call does anyway
 * after a network change).
 */
export const DEFAULT_TURN_TTL_SECONDS = 3600;

/** How the server reaches the SFU of voice channels (VOLLY_SFU). */
export type SfuMode = "off" | "managed" | "external";

/**
 * The SFU (Janus) of voice channels: none (`off`, the default), a Janus `volly serve` starts and
 * stops itself (`managed`, see `sfu/janus-process.ts`), or one it points at (`external`).
 */
export interface SfuConfig {
  /** VOLLY_SFU: off | managed | external. */
  mode: SfuMode;
  /**
   * The Janus WebSocket API (`ws://127.0.0.1:8188`, VOLLY_SFU_URL). Required for `external`; for
   * `managed` where its WebSocket transport listens (loopback only), default a free loopback port.
   */
  url?: string;
  /**
   * Janus `api_secret` every request carries (VOLLY_SFU_API_SECRET). `managed`: default a random one
   * per start; `external`: the one that Janus is configured with, if any.
   */
  apiSecret?: string;
  /** `managed`: RTP/RTCP port range of Janus's media, `min-max` (VOLLY_SFU_RTP_PORTS). Default Janus's (any port). */
  rtpPortRange?: string;
  /**
   * The Janus WebSocket API as voice channel clients reach it, ws:// or wss:// (VOLLY_SFU_PUBLIC_URL),
   * e.g. a TLS reverse proxy in front of the loopback transport. Default {@link url}.
   */
  publicUrl?: string;
  /** Janus's `token_auth_secret` (VOLLY_SFU_TOKEN_SECRET): `external`: that Janus's; `managed`: default random per start. */
  tokenSecret?: string;
  /** VideoRoom `admin_key` (VOLLY_SFU_ADMIN_KEY): `external`: that Janus's; `managed`: default random per start. */
  adminKey?: string;
  /**
   * How long a device whose last gateway connection dropped stays in its voice channels (ms,
   * 0–600,000; VOLLY_VOICE_GRACE_MS). Default 15,000 (`services/voice/voice-service.ts`).
   */
  voiceGraceMs?: number;
}

/** Default {@link SfuConfig}: no SFU. */
export const DEFAULT_SFU: SfuConfig = { mode: "off" };

/**
 * Reads VOLLY_TURN_URLS, VOLLY_TURN_SECRET and VOLLY_TURN_TTL_SECONDS (validated by
 * {@link checkTurn}); empty values are ignored.
 *
 * @returns the configuration, or undefined when none of the variables is set
 */
export function turnFromEnv(env: Record<string, string | undefined>): TurnConfig | undefined {
  const read = envReader(env);
  const urls = read("VOLLY_TURN_URLS");
  const secret = read("VOLLY_TURN_SECRET");
  const ttl = read("VOLLY_TURN_TTL_SECONDS");
  if (urls === undefined && secret === undefined && ttl === undefined) return undefined;
  return {
    urls: urls === undefined ? [] : urls.split(",").map((url) => url.trim()),
    ...(secret !== undefined ? { secret } : {}),
    ttlSeconds:
      ttl === undefined ? DEFAULT_TURN_TTL_SECONDS : /^\d{1,6}$/.test(ttl) ? Number(ttl) : Number.NaN,
  } as TurnConfig;
}

/**
 * Validates a {@link TurnConfig}: 1–16 URLs, each a stun:/stuns:/turn:/turns: URL; a secret of 16–256
 * characters exactly when a turn:/turns: URL is listed (a secret without TURN URLs is a mistake too);
 * a TTL of 60–86,400 s.
 *
 * @throws VollyError VOLLY_E_USAGE naming the variable (never echoing the secret)
 */
export function checkTurn(value: unknown): TurnConfig {
  const config = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const urls = config.urls;
  if (!Array.isArray(urls) || urls.length < 1 || urls.length > MAX_ICE_SERVER_URLS) {
    throw usage(`VOLLY_TURN_URLS must list 1 to ${MAX_ICE_SERVER_URLS} URLs, comma-separated.`);
  }
  for (const url of urls) {
    if (!matches(IceServerUrl, url)) {
      throw usage("VOLLY_TURN_URLS must list stun:, stuns:, turn: or turns: URLs.", {
        VOLLY_TURN_URLS: String(url),
      });
    }
  }
  const relays = urls.some((url: string) => /^turns?:/.test(url));
  const secret = config.secret;
  if (relays && (typeof secret !== "string" || secret.length < 16 || secret.length > 256)) {
    throw usage(
      "VOLLY_TURN_SECRET (coturn's static-auth-secret, 16–256 characters) is needed for turn: URLs.",
    );
  }
  if (!relays && secret !== undefined) {
    throw usage("VOLLY_TURN_SECRET is set but VOLLY_TURN_URLS lists no turn: or turns: URL.");
  }
  const ttl = config.ttlSeconds;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 60 || ttl > MAX_TURN_TTL_SECONDS) {
    throw usage(`VOLLY_TURN_TTL_SECONDS must be an integer from 60 to ${MAX_TURN_TTL_SECONDS}.`, {
      VOLLY_TURN_TTL_SECONDS: Number.isNaN(ttl) ? "not a number" : (ttl ?? null),
    });
  }
  return { urls: [...urls], ...(relays ? { secret: secret as string } : {}), ttlSeconds: ttl };
}

/**
 * Reads VOLLY_SFU, VOLLY_SFU_URL, VOLLY_SFU_API_SECRET, VOLLY_SFU_RTP_PORTS, VOLLY_SFU_PUBLIC_URL,
 * VOLLY_SFU_TOKEN_SECRET and VOLLY_SFU_ADMIN_KEY (validated by
 * {@link checkSfu}); empty values are ignored.
 *
 * @returns the configuration, or undefined when none of the variables is set
 */
export function sfuFromEnv(env: Record<string, string | undefined>): SfuConfig | undefined {
  const read = envReader(env);
  const mode = read("VOLLY_SFU");
  const url = read("VOLLY_SFU_URL");
  const apiSecret = read("VOLLY_SFU_API_SECRET");
  const rtpPortRange = read("VOLLY_SFU_RTP_PORTS");
  const publicUrl = read("VOLLY_SFU_PUBLIC_URL");
  const tokenSecret = read("VOLLY_SFU_TOKEN_SECRET");
  const adminKey = read("VOLLY_SFU_ADMIN_KEY");
  const grace = read("VOLLY_VOICE_GRACE_MS");
  if (
    [mode, url, apiSecret, rtpPortRange, publicUrl, tokenSecret, adminKey, grace].every(
      (v) => v === undefined,
    )
  )
    return undefined;
  return {
    ...(grace !== undefined ? { voiceGraceMs: /^\d{1,6}$/.test(grace) ? Number(grace) : Number.NaN } : {}),
    mode: (mode ?? "off") as SfuMode,
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    ...(tokenSecret !== undefined ? { tokenSecret } : {}),
    ...(adminKey !== undefined ? { adminKey } : {}),
    ...(url !== undefined ? { url } : {}),
    ...(apiSecret !== undefined ? { apiSecret } : {}),
    ...(rtpPortRange !== undefined ? { rtpPortRange } : {}),
  };
}

/**
 * Validates an {@link SfuConfig}: the mode off|managed|external; `external` needs a ws:// or wss://
 * URL; `managed` takes only a ws:// URL on a loopback address (its transport is never exposed); an
 * API secret of 8–256 printable characters without quotes; an RTP range `min-max` within 1024–65535.
 *
 * @throws VollyError VOLLY_E_USAGE naming the variable
 */
export function checkSfu(value: unknown): SfuConfig {
  const config = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const mode = config.mode;
  if (mode !== "off" && mode !== "managed" && mode !== "external") {
    throw usage("VOLLY_SFU must be off, managed or external.", { VOLLY_SFU: String(mode) });
  }
  const grace = config.voiceGraceMs;
  if (
    grace !== undefined &&
    (typeof grace !== "number" || !Number.isInteger(grace) || grace < 0 || grace > 600_000)
  ) {
    throw usage("VOLLY_VOICE_GRACE_MS must be an integer from 0 to 600000.");
  }
  const graceField = typeof grace === "number" ? { voiceGraceMs: grace } : {};
  if (mode === "off") return { mode, ...graceField };
  const url = config.url;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (mode === "external" && (!parsed || !["ws:", "wss:"].includes(parsed.protocol))) {
    throw usage("VOLLY_SFU=external needs VOLLY_SFU_URL, the Janus WebSocket API (ws:// or wss://).");
  }
  if (
    mode === "managed" &&
    url !== undefined &&
    (parsed?.protocol !== "ws:" ||
      !["127.0.0.1", "[::1]", "localhost"].includes(parsed.hostname) ||
      parsed.port === "" ||
      (parsed.pathname !== "/" && parsed.pathname !== ""))
  ) {
    throw usage("With VOLLY_SFU=managed, VOLLY_SFU_URL must be ws://127.0.0.1:<port> (loopback only).", {
      VOLLY_SFU_URL: String(url),
    });
  }
  const apiSecret = config.apiSecret;
  if (
    apiSecret !== undefined &&
    (typeof apiSecret !== "string" || !/^[\x21\x23-\x7e]{8,256}$/.test(apiSecret))
  ) {
    throw usage('VOLLY_SFU_API_SECRET must be 8–256 printable characters without spaces or ".');
  }
  const range = config.rtpPortRange;
  if (range !== undefined) {
    const m = typeof range === "string" ? /^(\d{4,5})-(\d{4,5})$/.exec(range) : null;
    const [min, max] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
    if (!m || min < 1024 || max > 65535 || min > max) {
      throw usage("VOLLY_SFU_RTP_PORTS must be min-max within 1024-65535, e.g. 20000-20999.", {
        VOLLY_SFU_RTP_PORTS: String(range),
      });
    }
  }
  const publicUrl = config.publicUrl;
  if (
    publicUrl !== undefined &&
    (typeof publicUrl !== "string" || !/^wss?:\/\/[^\s]{1,2000}$/.test(publicUrl))
  ) {
    throw usage("VOLLY_SFU_PUBLIC_URL must be a ws:// or wss:// URL.", {
      VOLLY_SFU_PUBLIC_URL: String(publicUrl),
    });
  }
  for (const [name, value] of [
    ["VOLLY_SFU_TOKEN_SECRET", config.tokenSecret],
    ["VOLLY_SFU_ADMIN_KEY", config.adminKey],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || !/^[\x21\x23-\x7e]{8,256}$/.test(value))) {
      throw usage(`${name} must be 8–256 printable characters without spaces or ".`);
    }
  }
  return {
    mode,
    ...graceField,
    ...(typeof publicUrl === "string" ? { publicUrl } : {}),
    ...(typeof config.tokenSecret === "string" ? { tokenSecret: config.tokenSecret } : {}),
    ...(typeof config.adminKey === "string" ? { adminKey: config.adminKey } : {}),
    ...(typeof url === "string" ? { url } : {}),
    ...(typeof apiSecret === "string" ? { apiSecret } : {}),
    ...(typeof range === "string" ? { rtpPortRange: range } : {}),
  };
}
