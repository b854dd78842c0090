import { describe, expect, it } from "vitest";
import { describeServers, MAX_SERVER_URLS, resolveServerUrls } from "../src/server-urls.js";

const usage = expect.objectContaining({ code: "VOLLY_E_USAGE" });

describe("server URLs of volly init (--server, repeatable; VOLLY_SERVER, comma-separated)", () => {
  it("takes every --server in order, as origins, without duplicates; flags win over the env", () => {
    expect(
      resolveServerUrls(["http://a:1/", "https://b.example/path", "http://a:1"], "http://ignored:9"),
    ).toEqual(["http://a:1", "https://b.example"]);
  });

  it("falls back to VOLLY_SERVER (comma-separated, spaces allowed), and to nothing when both are unset", () => {
    expect(resolveServerUrls([], "http://a:1, http://b:2")).toEqual(["http://a:1", "http://b:2"]);
    expect(resolveServerUrls([], "")).toBeUndefined();
    expect(resolveServerUrls([], undefined)).toBeUndefined();
  });

  it("rejects anything but http(s) URLs, a comma inside one --server, and too many URLs", () => {
    expect(() => resolveServerUrls(["http://a:1,http://b:2"])).toThrow(usage);
    expect(() => resolveServerUrls(["ftp://a"])).toThrow(usage);
    expect(() => resolveServerUrls(["localhost:7777x"])).toThrow(usage);
    expect(() => resolveServerUrls([], "http://a:1,,http://b:2")).toThrow(
      expect.objectContaining({ code: "VOLLY_E_USAGE", message: expect.stringContaining("VOLLY_SERVER") }),
    );
    const many = Array.from({ length: MAX_SERVER_URLS + 1 }, (_, i) => `http://n${i}:7777`);
    expect(() => resolveServerUrls(many)).toThrow(usage);
    expect(resolveServerUrls(many.slice(0, MAX_SERVER_URLS))).toHaveLength(MAX_SERVER_URLS);
  });

  it("names one server, or the preferred one and the others", () => {
    expect(describeServers(["http://a:1"])).toBe("http://a:1");
    expect(describeServers(["http://a:1", "http://b:2"])).toBe("http://a:1 (also http://b:2)");
  });
});
