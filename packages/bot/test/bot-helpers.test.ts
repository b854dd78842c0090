import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { communityInvitesIn } from "../src/membership/auto-join.js";
import { checkBotOptions } from "../src/profile/bot-options.js";
import { botKdfOption } from "../src/profile/test-kdf.js";
import { recoveryNoticeText } from "../src/recovery/recovery-notice.js";

const CODE = "GKe50lwXH-RoULVlTyeX3Q";

describe("communityInvitesIn", () => {
  const own = new Set(["http://127.0.0.1:7777"]);

  it("finds invite links and web addresses of the bot's own server in a text", () => {
    const text = `join us: volly-community:http://127.0.0.1:7777/${CODE} or http://127.0.0.1:7777/c/${CODE}!`;
    expect(communityInvitesIn(text, own)).toEqual([
      `volly-community:http://127.0.0.1:7777/${CODE}`,
      `http://127.0.0.1:7777/c/${CODE}`,
    ]);
  });

  it("leaves out other servers' invites, bare codes and ordinary links", () => {
    expect(communityInvitesIn(`volly-community:https://evil.example/${CODE}`, own)).toEqual([]);
    expect(communityInvitesIn(CODE, own)).toEqual([]);
    expect(communityInvitesIn("see http://127.0.0.1:7777/docs/readme", own)).toEqual([]);
  });
});

describe("checkBotOptions", () => {
  it("accepts a profile to open and a profile to create", () => {
    expect(() => checkBotOptions({ dir: "/tmp/b", secret: "123456" })).not.toThrow();
    expect(() =>
      checkBotOptions({
        dir: "/tmp/b",
        secret: "123456",
        server: "http://x:1",
        handle: "echo",
        type: "agent",
      }),
    ).not.toThrow();
  });

  it.each([
    [{ dir: "", secret: "123456" }, "/dir"],
    [{ dir: "/tmp/b" }, "/secret"],
    [{ dir: "/tmp/b", secret: "123456", handle: "No Spaces" }, "/handle"],
    [{ dir: "/tmp/b", secret: "123456", type: "robot" }, "/type"],
    [{ dir: "/tmp/b", secret: "123456", server: "ftp://x" }, "/server"],
    [{ dir: "/tmp/b", secret: "123456", log: "stderr" }, "/log"],
  ])("refuses %o with VOLLY_E_USAGE naming %s", (options, path) => {
    const err = (() => {
      try {
        checkBotOptions(options as never);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(VollyError);
    expect(err).toMatchObject({ code: "VOLLY_E_USAGE", details: { path } });
  });
});

describe("botKdfOption", () => {
  it("is the SDK default unless the test suite asks for the cheap one under NODE_ENV=test", () => {
    expect(botKdfOption({})).toEqual({});
    expect(botKdfOption({ NODE_ENV: "test", VOLLY_INSECURE_TEST_KDF: "1" })).toEqual({
      kdf: { memoryKiB: 1024, iterations: 1 },
    });
    expect(() => botKdfOption({ NODE_ENV: "production", VOLLY_INSECURE_TEST_KDF: "1" })).toThrow(
      /test suite only/,
    );
  });
});

describe("recoveryNoticeText", () => {
  it("names the window it could not read, in UTC", () => {
    expect(recoveryNoticeText(Date.UTC(2026, 11, 5, 15, 0), Date.UTC(2026, 11, 5, 15, 30))).toBe(
      "I lost my keys for this conversation and rejoined it; messages sent between " +
        "2026-12-05T15:00:00.000Z and 2026-12-05T15:30:00.000Z could not be read. " +
        "Please send again anything I should answer.",
    );
  });
});
