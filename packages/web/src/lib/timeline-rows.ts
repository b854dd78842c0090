/**
 * The chat timeline as one flat list of rows, for the virtualized message list: the history-start
 * line, a day separator before the first message of each day, the recovery notice line and the
 * messages themselves, each keyed by a stable id (so a row keeps its measured height and its DOM
 * node when older messages are prepended or new ones appended).
 */

import type { MessageBody, MessageRecord } from "../worker/rpc-types.js";
import { isNewDay, startOfDay } from "./time.js";

/**
 * How each kind of record sits in the timeline: a bubble (what someone wrote), the muted tombstone
 * of a message deleted for everyone, or a centred system line (a membership event, a call's record).
 * TypeScript refuses a kind of body without a layout.
 */
export type TimelineLayout = "bubble" | "tombstone" | "line";

/** The layout of each kind of message body. */
export const TIMELINE_LAYOUT: { readonly [K in MessageBody["type"]]: TimelineLayout } = {
  text: "bubble",
  membership: "line",
  deleted: "tombstone",
  call: "line",
};

/** One row of the timeline. `day` is the start of the day it belongs to (undefined: before any message). */
export type TimelineRow =
  | { kind: "history-start"; key: string; day: undefined }
  | { kind: "day"; key: string; day: number }
  | { kind: "notice"; key: string; day: number | undefined }
  | {
      kind: "message";
      key: string;
      day: number;
      message: MessageRecord;
      /** The record before it when that one is in a sender's place (a system line breaks a run of one sender's bubbles). */
      prev: MessageRecord | undefined;
    };

/** What the rows are built from. */
export interface TimelineInput {
  /** The main timeline's messages, oldest first (thread replies left out). */
  list: readonly MessageRecord[];
  /** Whether to show the history-start line at the top (the oldest message is loaded). */
  historyStart: boolean;
  /** Whether there is a recovery notice line. */
  notice: boolean;
  /** When the notice was set: it goes before the first message sent after it (at the end without it). */
  noticeAt?: number | undefined;
}

/** The rows of a timeline, and where its day separators are (ascending row indexes). */
export interface Timeline {
  rows: TimelineRow[];
  dayRows: number[];
}

/** Row keys; a message's is its id, which never collides with these (ids have no spaces). */
const HISTORY_START_KEY = "history start";
const NOTICE_KEY = "recovery notice";

/** Index of the message the notice line goes before (`list.length`: after the last one; -1: no notice). */
export function noticeIndexOf(
  list: readonly MessageRecord[],
  notice: boolean,
  noticeAt: number | undefined,
): number {
  if (!notice) return -1;
  if (noticeAt === undefined) return list.length;
  const i = list.findIndex((m) => m.sentAt > noticeAt);
  return i < 0 ? list.length : i;
}

/** Flattens the messages, their days, the history-start and notice lines into rows, oldest first. */
export function timelineRows({ list, historyStart, notice, noticeAt }: TimelineInput): Timeline {
  const rows: TimelineRow[] = [];
  const dayRows: number[] = [];
  if (historyStart) rows.push({ kind: "history-start", key: HISTORY_START_KEY, day: undefined });
  const noticeIndex = noticeIndexOf(list, notice, noticeAt);
  let day: number | undefined;
  list.forEach((message, i) => {
    const before = list[i - 1];
    if (isNewDay(before?.sentAt, message.sentAt)) {
      day = startOfDay(message.sentAt);
      dayRows.push(rows.length);
      rows.push({ kind: "day", key: `day ${day}`, day });
    }
    if (i === noticeIndex) rows.push({ kind: "notice", key: NOTICE_KEY, day });
    const prev = before && TIMELINE_LAYOUT[before.body.type] !== "line" ? before : undefined;
    rows.push({ kind: "message", key: message.id, day: day ?? startOfDay(message.sentAt), message, prev });
  });
  if (noticeIndex === list.length) rows.push({ kind: "notice", key: NOTICE_KEY, day });
  return { rows, dayRows };
}

/**
 * Whether `rows` are `before` with rows added at the start (older history loaded): the old first
 * message is still there, further down. (The first row can stay: the day separator of a day whose
 * older messages were just loaded.) The virtualizer then keeps the position from the end.
 */
export function prepended(before: readonly TimelineRow[], rows: readonly TimelineRow[]): boolean {
  const was = before.findIndex((r) => r.kind === "message");
  const first = before[was]?.key;
  if (first === undefined) return false;
  return rows.findIndex((r) => r.key === first) > was;
}

/**
 * The day label stuck at the top of the list when row `top` is the first one showing: the day
 * separator row it belongs to and the next day's (undefined: none).
 */
export function stickyDay(
  timeline: Timeline,
  top: number,
): { dayRow: number; nextDayRow: number | undefined } | undefined {
  const { dayRows } = timeline;
  // the last day row at or above `top` (binary search: the list can hold thousands of days)
  let lo = 0;
  let hi = dayRows.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((dayRows[mid] ?? 0) <= top) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  return { dayRow: dayRows[found] ?? 0, nextDayRow: dayRows[found + 1] };
}
