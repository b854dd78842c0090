import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config.js";
import { DEFAULT_TURN_TTL_SECONDS } from "../src/config-calls.js";
import { iceServersFor, turnCredential } from "../src/services/calls/ice-servers.js";

const SECRET = "a-shared-secret-of-coturn";

describe("call configuration (VOLLY_TURN_*, VOLLY_SFU*)", () => {
  it("reads TURN URLs, secret and TTL (default one hour); nothing set: no TURN", () => {
    expect(configFromEnv({}).turn).toBeUndefined();
    expect(
      configFromEnv({
        VOLLY_TURN_URLS: "stun:turn.example.org, turns:turn.example.org:5349",
        VOLLY_TURN_SECRET: SECRET,
      }).turn,
    ).toEqual({
      urls: ["stun:turn.example.org", "turns:turn.example.org:5349"],
      secret: SECRET,
      ttlSeconds: DEFAULT_TURN_TTL_SECONDS,
    });
    expect(configFromEnv({ VOLLY_TURN_URLS: "stun:stun.example.org" }).turn).toEqual({
      urls: ["stun:stun.example.org"],
      ttlSeconds: 3600,
    });
  });

  it.each([
    [{ VOLLY_TURN_URLS: "turn:t.example.org" }, /VOLLY_TURN_SECRET/],
    [{ VOLLY_TURN_URLS: "turn:t.example.org", VOLLY_TURN_SECRET: "short" }, /VOLLY_TURN_SECRET/],
    [{ VOLLY_TURN_SECRET: SECRET }, /VOLLY_TURN_URLS/],
    [{ VOLLY_TURN_URLS: "stun:s.example.org", VOLLY_TURN_SECRET: SECRET }, /lists no turn/],
    [{ VOLLY_TURN_URLS: "https://t.example.org" }, /stun:, stuns:, turn: or turns:/],
    [
      { VOLLY_TURN_URLS: "turn:t.example.org", VOLLY_TURN_SECRET: SECRET, VOLLY_TURN_TTL_SECONDS: "10" },
      /60/,
    ],
    [
      { VOLLY_TURN_URLS: "turn:t.example.org", VOLLY_TURN_SECRET: SECRET, VOLLY_TURN_TTL_SECONDS: "1h" },
      /60/,
    ],
  ])("refuses %o with VOLLY_E_USAGE, never echoing the secret", (env, message) => {
    let caught: unknown;
    try {
      configFromEnv(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: "VOLLY_E_USAGE", message: expect.stringMatching(message) });
    expect(JSON.stringify(caught)).not.toContain(SECRET);
  });

  it("reads the SFU mode, URL, API secret and RTP range; refuses what cannot work", () => {
    expect(configFromEnv({}).sfu).toEqual({ mode: "off" });
    expect(configFromEnv({ VOLLY_SFU: "managed", VOLLY_SFU_RTP_PORTS: "20000-20999" }).sfu).toEqual({
      mode: "managed",
      rtpPortRange: "20000-20999",
    });
    expect(
      configFromEnv({
        VOLLY_SFU: "external",
        VOLLY_SFU_URL: "wss://sfu.example.org/janus",
        VOLLY_SFU_API_SECRET: "s3cret-s3cret",
      }).sfu,
    ).toEqual({ mode: "external", url: "wss://sfu.example.org/janus", apiSecret: "s3cret-s3cret" });
    for (const env of [
      { VOLLY_SFU: "on" },
      { VOLLY_SFU: "external" },
      { VOLLY_SFU: "external", VOLLY_SFU_URL: "http://sfu.example.org" },
      { VOLLY_SFU: "managed", VOLLY_SFU_URL: "ws://0.0.0.0:8188" },
      { VOLLY_SFU: "managed", VOLLY_SFU_URL: "ws://127.0.0.1" },
      { VOLLY_SFU: "managed", VOLLY_SFU_API_SECRET: 'has"quote' },
      { VOLLY_SFU: "managed", VOLLY_SFU_RTP_PORTS: "30000-20000" },
      { VOLLY_SFU: "managed", VOLLY_SFU_RTP_PORTS: "80-90" },
    ]) {
      expect(() => configFromEnv(env), JSON.stringify(env)).toThrow(
        expect.objectContaining({ code: "VOLLY_E_USAGE" }),
      );
    }
  });
});

describe("TURN REST API credentials", () => {
  it("username <expiry>:<accountId>, credential base64(HMAC-SHA1(secret, username))", async () => {
    // Known answer: printf '%s' 1700000000:acct | openssl dgst -binary -sha1 -hmac a-shared-secret-of-coturn | base64
    const { username, credential } = await turnCredential(SECRET, "acct", 1_700_000_000);
    expect(username).toBe("1700000000:acct");
    expect(credential).toBe("RauUmDEChAcGjRzmJnEhb/tjlaU=");
  });

  it("answers STUN without credentials, TURN with credentials expiring after the TTL; none configured: nothing", async () => {
    const now = 1_700_000_000_500;
    expect(await iceServersFor(undefined, "acct", now)).toEqual({ iceServers: [], ttlSeconds: 0 });
    expect(await iceServersFor({ urls: ["stun:s.example.org"], ttlSeconds: 3600 }, "acct", now)).toEqual({
      iceServers: [{ urls: ["stun:s.example.org"] }],
      ttlSeconds: 0,
    });
    const answer = await iceServersFor(
      {
        urls: ["stun:s.example.org", "turn:t.example.org", "turns:t.example.org:5349"],
        secret: SECRET,
        ttlSeconds: 600,
      },
      "acct",
      now,
    );
    expect(answer).toEqual({
      iceServers: [
        { urls: ["stun:s.example.org"] },
        {
          urls: ["turn:t.example.org", "turns:t.example.org:5349"],
          username: "1700000600:acct",
          credential: (await turnCredential(SECRET, "acct", 1_700_000_600)).credential,
        },
      ],
      ttlSeconds: 600,
    });
  });
});
