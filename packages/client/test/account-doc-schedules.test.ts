import { newId } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { AccountDoc, type SyncedSchedule } from "../src/account/account-sync/account-doc.js";

/** Two devices' copies of the account document exchanging their full states both ways. */
function exchange(a: AccountDoc, b: AccountDoc): void {
  Y.applyUpdate(b.ydoc, a.encodeState());
  Y.applyUpdate(a.ydoc, b.encodeState());
}

describe("recurring schedules in the account document", () => {
  const schedule = (): SyncedSchedule => ({
    id: newId(),
    conversationId: newId(),
    text: "stand-up in 5",
    rule: "weekly mon 09:00",
    timeZone: "Europe/Berlin",
    createdAt: 1_700_000_000_000,
  });

  it("a definition noted on one device is listed on the other", () => {
    const [a, b] = [new AccountDoc(), new AccountDoc()];
    const s = schedule();
    expect(a.noteSchedule(s)).toBe(true);
    expect(a.noteSchedule(s)).toBe(false);
    exchange(a, b);
    expect(b.schedules()).toEqual({ live: [s], cancelled: [] });
  });

  it("a cancel wins over a concurrent or later note of the same series, on both devices", () => {
    const [a, b] = [new AccountDoc(), new AccountDoc()];
    const s = schedule();
    a.noteSchedule(s);
    exchange(a, b);
    expect(b.cancelSchedule(s.id, 1)).toBe(true);
    expect(b.cancelSchedule(s.id, 2)).toBe(false);
    a.noteSchedule({ ...s, text: "edited concurrently" });
    exchange(a, b);
    expect(a.noteSchedule(s)).toBe(false);
    expect(a.schedules()).toEqual({ live: [], cancelled: [s.id] });
    expect(b.schedules()).toEqual({ live: [], cancelled: [s.id] });
  });

  it("malformed definitions from another device are ignored", () => {
    const doc = new AccountDoc();
    const map = doc.ydoc.getMap<unknown>("scheduled");
    const { id: _id, ...good } = schedule();
    map.set(newId(), { ...good, rule: "hourly" });
    map.set(newId(), { ...good, timeZone: "Mars/Olympus" });
    map.set(newId(), { ...good, text: 42 });
    map.set(newId(), { ...good, createdAt: "yesterday" });
    map.set("not an id", good);
    map.set(newId(), "a string");
    expect(doc.schedules()).toEqual({ live: [], cancelled: [] });
  });
});
