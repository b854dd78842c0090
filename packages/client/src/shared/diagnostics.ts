import { VollyError } from "@volly/protocol";
import type { BackgroundFailure, Diagnostics } from "./diagnostics-api.js";
import { ListenerSet } from "./listeners.js";

/**
 * The SDK's {@link Diagnostics} (see there for each public member): the client's services report
 * their background failures through `report` or `catcher`.
 */
export class DiagnosticsService implements Diagnostics {
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
