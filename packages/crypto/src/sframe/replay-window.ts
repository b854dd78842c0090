/**
 * A sliding anti-replay window over one KID's CTR values, after RFC 3711 §3.3.2 (SRTP's replay
 * list), which RFC 9605 §7.3 suggests adapting with the CTR as the counter: the highest CTR
 * accepted and a bitmap of the `size` CTRs at and below it. A CTR above the highest is new; one
 * within the window is new unless its bit is set; one below the window is refused (too old to tell).
 */
export class ReplayWindow {
  private highest = -1n;
  /** Bit i set: CTR `highest − i` was accepted. */
  private seen = 0n;
  private readonly size: bigint;
  private readonly full: bigint;

  /** @param size how many CTRs below the highest are still accepted out of order (≥ 1) */
  constructor(size: number) {
    this.size = BigInt(size);
    this.full = (1n << this.size) - 1n;
  }

  /** Whether `ctr` would be accepted now (no state change). */
  allows(ctr: bigint): boolean {
    if (ctr > this.highest) return true;
    const age = this.highest - ctr;
    if (age >= this.size) return false;
    return ((this.seen >> age) & 1n) === 0n;
  }

  /** Records `ctr` as accepted; returns false (and changes nothing) if it is a replay or too old. */
  accept(ctr: bigint): boolean {
    if (!this.allows(ctr)) return false;
    if (ctr > this.highest) {
      const shift = ctr - this.highest;
      this.seen = shift >= this.size ? 1n : ((this.seen << shift) | 1n) & this.full;
      this.highest = ctr;
    } else {
      this.seen |= 1n << (this.highest - ctr);
    }
    return true;
  }
}
