import { describe, expect, it } from "vitest";
import {
  expiresArg,
  findRole,
  idArg,
  maxUsesArg,
  memberArg,
  nameArg,
  permissionsArg,
  reasonArg,
  timeoutArg,
} from "../src/community-args.js";
import { EXIT, exitCodeFor } from "../src/exit-codes.js";

const usage = expect.objectContaining({ code: "VOLLY_E_USAGE" });

describe("community CLI arguments", () => {
  it("checks ids, @handles, names and reasons", () => {
    expect(idArg("community", "ARB0DIBGsHZlumN17keHiQ")).toBe("ARB0DIBGsHZlumN17keHiQ");
    for (const bad of ["", "short", "ARB0DIBGsHZlumN17keHiQ!", "ARB0DIBGsHZlumN17keHiQx"]) {
      expect(() => idArg("community", bad)).toThrow(usage);
    }
    expect(memberArg("@ann")).toBe("@ann");
    expect(() => memberArg("ann")).toThrow(usage);
    expect(() => memberArg("@A b")).toThrow(expect.objectContaining({ code: "VOLLY_E_HANDLE_INVALID" }));
    // Another server's account: @user@server, lowercased; the @ stays required.
    expect(memberArg("@Ann@B.example:8443")).toBe("@ann@b.example:8443");
    expect(memberArg("@Ann")).toBe("@ann");
    expect(() => memberArg("ann@b.example")).toThrow(usage);
    for (const bad of ["@ann@", "@@ann", "@ann@b..example", "@ann@b.example:0"]) {
      expect(() => memberArg(bad), bad).toThrow(expect.objectContaining({ code: "VOLLY_E_HANDLE_INVALID" }));
    }
    expect(() => nameArg("channel", "  ")).toThrow(usage);
    expect(() => nameArg("channel", "x".repeat(101))).toThrow(usage);
    expect(reasonArg(undefined)).toBeUndefined();
    expect(() => reasonArg("")).toThrow(usage);
  });

  it("parses permission lists by Discord's names, case-insensitively, naming the unknown ones", () => {
    expect(permissionsArg("VIEW_CHANNEL,send_messages,VIEW_CHANNEL")).toEqual([
      "VIEW_CHANNEL",
      "SEND_MESSAGES",
    ]);
    expect(() => permissionsArg("VIEW_CHANNEL,FLY")).toThrow(
      expect.objectContaining({ message: expect.stringContaining('"FLY"') }),
    );
    expect(() => permissionsArg("")).toThrow(usage);
  });

  it("parses --expires (or never), --for (or 0) and --max-uses within the server's bounds", () => {
    expect(expiresArg("30m")).toBe(1_800_000);
    expect(expiresArg("7d")).toBe(604_800_000);
    expect(expiresArg("never")).toBe(0);
    for (const bad of ["0s", "366d", "forever", "7"]) expect(() => expiresArg(bad)).toThrow(usage);
    expect(timeoutArg("10m")).toBe(600_000);
    expect(timeoutArg("0")).toBe(0);
    for (const bad of ["29d", "0m", "ten"]) expect(() => timeoutArg(bad)).toThrow(usage);
    expect(maxUsesArg("3")).toBe(3);
    for (const bad of ["0", "-1", "1.5", "100001"]) expect(() => maxUsesArg(bad)).toThrow(usage);
  });

  it("finds a role by id or by name, else VOLLY_E_UNKNOWN_ROLE", () => {
    const community = {
      name: "Guild",
      roles: [
        { roleId: "E".repeat(22), name: "@everyone" },
        { roleId: "M".repeat(22), name: "moderator" },
      ],
    } as Parameters<typeof findRole>[0];
    expect(findRole(community, "moderator")).toBe("M".repeat(22));
    expect(findRole(community, "E".repeat(22))).toBe("E".repeat(22));
    expect(() => findRole(community, "admin")).toThrow(
      expect.objectContaining({ code: "VOLLY_E_UNKNOWN_ROLE" }),
    );
  });

  it("maps a refused action to 6 and a bad community invite to 7", () => {
    expect(exitCodeFor("VOLLY_E_FORBIDDEN")).toBe(EXIT.refused);
    expect(exitCodeFor("VOLLY_E_BANNED")).toBe(EXIT.refused);
    expect(exitCodeFor("VOLLY_E_COMMUNITY_INVITE_INVALID")).toBe(EXIT.invite);
    expect(exitCodeFor("VOLLY_E_UNKNOWN_CHANNEL")).toBe(EXIT.notFound);
  });
});
