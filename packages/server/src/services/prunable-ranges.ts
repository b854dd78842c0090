import type { GroupReader } from "../store/types.js";

/** Log entries that no device will ever read again: afterSeq < seq ≤ upToSeq (sent by `sender` only, when set). */
export interface PrunableRange {
  afterSeq: number;
  upToSeq: number;
  /** Only the entries this device sent: the one device yet to read the others. */
  sender?: string;
}

/**
 * Which of a group's entries afterSeq < seq ≤ upToSeq every device that can read them has
 * acknowledged. A device reads the entries joined_seq < seq ≤ left_seq (no upper bound while a
 * member) except its own; it has processed those up to max(cursor, joined_seq). So an entry is done
 * when every reader covering its seq, other than its sender, has processed it — in particular, a
 * device alone in its group reads none of its own entries, which are done at once.
 *
 * Computed by sweeping the readers still behind (processed < min(left_seq, upToSeq)) over the seq
 * line: a stretch no one behind covers is done; a stretch exactly one device is behind on is done for
 * the entries that device sent; anything covered twice is kept. O(r log r) in the readers, no log
 * reads.
 *
 * @param readers every membership of the group, current or ended, with its cursor
 * @param afterSeq entries up to this are gone already (the group's pruned_seq)
 * @param upToSeq consider entries up to this (a seq that is stored: the group's last_seq, read before)
 * @returns disjoint ranges in seq order, adjacent ones merged
 */
export function prunableRanges(
  readers: readonly GroupReader[],
  afterSeq: number,
  upToSeq: number,
): PrunableRange[] {
  if (upToSeq <= afterSeq) return [];
  const events: { seq: number; device: string; delta: 1 | -1 }[] = [];
  for (const r of readers) {
    const processed = Math.max(r.cursor, r.joinedSeq, afterSeq);
    const end = Math.min(r.leftSeq ?? upToSeq, upToSeq);
    if (processed >= end) continue;
    events.push(
      { seq: processed, device: r.deviceId, delta: 1 },
      { seq: end, device: r.deviceId, delta: -1 },
    );
  }
  const points = [...new Set([afterSeq, upToSeq, ...events.map((e) => e.seq)])].sort((a, b) => a - b);
  events.sort((a, b) => a.seq - b.seq);
  const behind = new Set<string>();
  const out: PrunableRange[] = [];
  let next = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i] as number;
    const to = points[i + 1] as number;
    // Intervals are (start, end]: one starting at `from` covers (from, to]; one ending at `from` does not.
    while (next < events.length && (events[next] as { seq: number }).seq <= from) {
      const e = events[next++] as (typeof events)[number];
      if (e.delta === 1) behind.add(e.device);
      else behind.delete(e.device);
    }
    if (behind.size > 1) continue;
    const sender = behind.size === 1 ? [...behind][0] : undefined;
    const last = out.at(-1);
    if (last && last.upToSeq === from && last.sender === sender) {
      last.upToSeq = to;
    } else {
      out.push(
        sender === undefined ? { afterSeq: from, upToSeq: to } : { afterSeq: from, upToSeq: to, sender },
      );
    }
  }
  return out;
}
