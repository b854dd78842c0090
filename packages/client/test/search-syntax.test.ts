import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { searchDocument } from "../src/search/search-documents.js";
import { SearchIndex } from "../src/search/search-index.js";
import { parseSearchQuery, parseSearchTime } from "../src/search/search-syntax.js";

describe("search query syntax", () => {
  it("takes the operators out of the words", () => {
    expect(
      parseSearchQuery("has:link  from:@bob in:@carol lunch  before:2026-12-01 menu after:2026-11-01"),
    ).toEqual({
      words: "lunch menu",
      filters: {
        hasLink: true,
        from: "@bob",
        conversationId: "@carol",
        before: new Date(2026, 11, 1).getTime(),
        after: new Date(2026, 10, 1).getTime(),
      },
    });
    expect(parseSearchQuery("HAS:FILE In:conv-1")).toEqual({
      words: "",
      filters: { hasFile: true, conversationId: "conv-1" },
    });
    // Unknown names and a colon without a value are words; a later operator replaces an earlier one.
    expect(parseSearchQuery("note:to self from: from:@a from:@b")).toEqual({
      words: "note:to self from:",
      filters: { from: "@b" },
    });
  });

  it("reads dates as local days and ISO-8601 times, and refuses anything else", () => {
    expect(parseSearchTime("after:", "2026-03-04")).toBe(new Date(2026, 2, 4).getTime());
    expect(parseSearchTime("after:", "2026-03-04T10:30:00Z")).toBe(Date.UTC(2026, 2, 4, 10, 30));
    for (const bad of ["2026-02-30", "yesterday", "2026-3-4", "1700000000000", "2026-03-04Tnope"]) {
      const err = (() => {
        try {
          parseSearchTime("before:", bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(VollyError);
      expect((err as VollyError).code).toBe("VOLLY_E_USAGE");
    }
    expect(() => parseSearchQuery("has:photo")).toThrow(VollyError);
  });
});

describe("search index: newest first scores only the newest window", () => {
  /** 3,000 messages in a shuffled order of arrival; "common" in all, "sometimes" in every 7th, "once" in one. */
  function indexOf(count: number) {
    const index = SearchIndex.empty();
    const order = Array.from({ length: count }, (_, i) => (i * 7919) % count);
    const docs = order.map((i) => {
      const words = ["common", i % 7 === 0 ? "sometimes" : "", i === 5 ? "once" : ""].join(" ");
      const doc = searchDocument({
        id: `m${i}`,
        conversationId: `c${i % 3}`,
        from: i % 2 ? "bob" : "alice",
        fromDeviceId: "",
        direction: "in",
        body: { type: "text", text: words },
        sentAt: 1_000_000 + i * 1000,
        receivedAt: 0,
        status: "received",
      });
      if (!doc) throw new Error("no document");
      return doc;
    });
    for (const doc of docs) index.upsert(doc);
    return { index, docs };
  }

  /** The ids a full scan finds, newest first. */
  function brute(
    docs: ReturnType<typeof indexOf>["docs"],
    word: string,
    keep: (d: (typeof docs)[0]) => boolean,
    limit: number,
  ) {
    return docs
      .filter((d) => d.text.split(" ").includes(word) && keep(d))
      .sort((a, b) => b.sentAt - a.sentAt)
      .slice(0, limit)
      .map((d) => d.id);
  }

  it("finds the same newest matches as a full scan, with and without filters, and follows writes", () => {
    const { index, docs } = indexOf(3000);
    for (const word of ["common", "sometimes", "once"]) {
      for (const limit of [1, 10, 50]) {
        expect(index.query(word, undefined, "newest", limit).map((m) => m.id)).toEqual(
          brute(docs, word, () => true, limit),
        );
        expect(
          index
            .query(word, (f) => f.conversationId === "c2" && f.from === "bob", "newest", limit)
            .map((m) => m.id),
        ).toEqual(brute(docs, word, (d) => d.conversationId === "c2" && d.from === "bob", limit));
      }
    }
    // Two words: every word must match (whichever comes first in the query).
    for (const query of ["sometimes common", "common sometimes", "once common"]) {
      const [a, b] = query.split(" ") as [string, string];
      const both = brute(docs, a, (d) => d.text.split(" ").includes(b), 1000).slice(0, 10);
      expect(index.query(query, undefined, "newest", 10).map((m) => m.id)).toEqual(both);
    }
    // Relevance and operators-only queries see the whole index.
    expect(index.query("once", undefined, "relevance", 5).map((m) => m.id)).toEqual(["m5"]);
    expect(index.query("", (f) => f.conversationId === "c1", "newest", 3).map((m) => m.id)).toEqual(
      brute(docs, "common", (d) => d.conversationId === "c1", 3),
    );
    // A removed newest message and an edited one are followed (times kept sorted).
    index.remove("m2999");
    const edited = docs.find((d) => d.id === "m2998");
    if (!edited) throw new Error("m2998");
    index.upsert({ ...edited, text: "rewritten" });
    expect(index.query("common", undefined, "newest", 2).map((m) => m.id)).toEqual(["m2997", "m2996"]);
    expect(index.query("rewritten", undefined, "newest", 2).map((m) => m.id)).toEqual(["m2998"]);
    // A snapshot loads with its times.
    const loaded = SearchIndex.load(JSON.parse(JSON.stringify(index.toJSON())));
    expect(loaded.query("common", undefined, "newest", 2).map((m) => m.id)).toEqual(["m2997", "m2996"]);
  });
});
