import { describe, expect, it } from "vitest";
import { communityInviteLinks, parseCommunityInvite } from "../src/communities/invite-links.js";

describe("community invite links", () => {
  const code = "CRbgMEHA7SEhBeQUo22OTQ";

  it("round-trips both forms and takes the bare code", () => {
    const { link, webUrl } = communityInviteLinks("http://127.0.0.1:7777/some/path", code);
    expect(link).toBe(`volly-community:http://127.0.0.1:7777/${code}`);
    expect(webUrl).toBe(`http://127.0.0.1:7777/c/${code}`);
    expect(parseCommunityInvite(` ${link}\n`)).toEqual({ code, server: "http://127.0.0.1:7777" });
    expect(parseCommunityInvite(webUrl)).toEqual({ code, server: "http://127.0.0.1:7777" });
    expect(parseCommunityInvite(code)).toEqual({ code });
  });

  it("refuses anything else with VOLLY_E_COMMUNITY_INVITE_INVALID", () => {
    for (const bad of [
      "",
      "short",
      `volly-community:ftp://x/${code}`,
      `volly-community:http://x/c/${code}`,
      `http://x/${code}`,
      `http://x/c/${code}?a=1`,
      `volly://invite/${code}`,
    ]) {
      expect(() => parseCommunityInvite(bad), bad).toThrow(
        expect.objectContaining({ code: "VOLLY_E_COMMUNITY_INVITE_INVALID" }),
      );
    }
  });
});
