import { VollyError } from "@volly/protocol";
import { ListenerSet } from "./listeners.js";

/**
 * A failure of background work (nobody awaited it): what failed (`label`, e.g. "outbox.flush"), the
 * error's code (a VOLLY_E_* code, or the name of another error) and message. Never content.
 */
export interface BackgroundFailure {
  label: string;
  code: string;
  message: string;
  /** When it was reported (ms since the Unix epoch). */
  at: number;
}

/**
 * The client's diagnostics: every failure of background work (sending the outbox after the
 * foreground call returned, receipts, key package top-ups, account sync, departure commits,
 * settling commits after a reconnect…) is reported here with a label instead of being swallowed,
 * counted by label and announced to listeners. Most of them are retried later by their owner;
 * this is where a persistent one becomes visible. In memory only (per client).
 */
export class Diagnostics {
  /** Fires for each background failure. */
  readonly failures = new ListenerSet<BackgroundFailure>();
  private readonly byLabel = new Map<string, number>();

  /** Counts a failure of the background work `label` and tells the listeners. */
  report(label: string, error: unknown): void {
    this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + 1);
    this.failures.emit({ label, code: codeOf(error), message: messageOf(error), at: Date.now() });
  }

  /** A rejection handler reporting under `label`: `void work().catch(diagnostics.catcher("x"))`. */
  catcher(label: string): (error: unknown) => void {
    return (error) => this.report(label, error);
  }

  /** Background failures so far, by label (labels that never failed are absent). */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.byLabel].sort(([a], [b]) => a.localeCompare(b)));
  }
}

function codeOf(error: unknown): string {
  if (error instanceof VollyError) return error.code;
  return error instanceof Error ? error.name : typeof error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
