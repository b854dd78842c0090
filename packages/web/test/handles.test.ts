import { describe, expect, it } from "vitest";
import { initials } from "../src/lib/avatar.js";
import { typedRecipient } from "../src/lib/handle.js";
import { inviterHint } from "../src/lib/invite-link.js";

/** An invite link whose token carries `payload` (the signature is not checked by the hint). */
function inviteLink(payload: object, page = "https://a.example"): string {
  const b64 = btoa(JSON.stringify(payload)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${page}/i/${b64}.c2ln`;
}

describe("web handles: the recipient typed in New message", () => {
  const own = ["a.example", "a.example:8443"];

  it("takes this server's handles bare, with or without @ or our own server name", () => {
    expect(typedRecipient("bob", own)).toEqual({ handle: "bob" });
    expect(typedRecipient(" @Bob ", own)).toEqual({ handle: "bob" });
    expect(typedRecipient("@bob@A.example:8443", own)).toEqual({ handle: "bob" });
  });

  it("takes another server's account as user@server", () => {
    expect(typedRecipient("@Bob@B.example", own)).toEqual({ handle: "bob@b.example" });
    expect(typedRecipient("bob@127.0.0.3:7002", own)).toEqual({ handle: "bob@127.0.0.3:7002" });
  });

  it("says what is wrong with the user part or the server name", () => {
    expect(typedRecipient("bo", own).problem).toBe("At least 3 characters.");
    expect(typedRecipient("bo@b.example", own).problem).toBe("At least 3 characters.");
    expect(typedRecipient("Bob!", own).problem).toMatch(/lowercase letters/);
    expect(typedRecipient("bob@", own).problem).toMatch(/server's name/);
    expect(typedRecipient("bob@b_example", own).problem).toMatch(/server's name/);
    expect(typedRecipient("bob@b.example@c", own).problem).toMatch(/server's name/);
    expect(typedRecipient("bob@b.example:99999", own).problem).toMatch(/server's name/);
  });
});

describe("web handles: the inviter named on the onboarding screen", () => {
  const payload = (server: string) => ({
    v: 1,
    server,
    handle: "carol",
    fingerprint: "x".repeat(43),
    expiresAt: 1,
  });

  it("is bare for an invite of this page's server, handle@host for another's", () => {
    expect(inviterHint(inviteLink(payload("https://a.example")), "a.example")).toBe("carol");
    expect(inviterHint(inviteLink(payload("https://B.example:8443")), "a.example")).toBe(
      "carol@b.example:8443",
    );
    expect(inviterHint(inviteLink(payload("http://127.0.0.3:7002")), "127.0.0.2:7001")).toBe(
      "carol@127.0.0.3:7002",
    );
  });

  it("is undefined for a token that names no valid handle or server", () => {
    expect(inviterHint(inviteLink({ ...payload("https://a.example"), handle: "Carol!" }), "a.example")).toBe(
      undefined,
    );
    expect(inviterHint(inviteLink(payload("ftp://a.example")), "a.example")).toBeUndefined();
    expect(inviterHint("https://a.example/i/not-base64!", "a.example")).toBeUndefined();
  });
});

describe("web handles: avatar initials", () => {
  it("come from the user part of another server's handle", () => {
    expect(initials("bob@127.0.0.3:7002")).toBe("B");
    expect(initials("carol.web@b.example")).toBe("CW");
    expect(initials("Bob Stone")).toBe("BS");
    expect(initials("bob")).toBe("B");
  });
});
