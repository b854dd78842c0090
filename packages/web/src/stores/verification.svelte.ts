import { sdk } from "../lib/sdk";
import type { VerificationState } from "../worker/rpc-types";

/**
 * Whether each contact is verified (safety numbers), as the SDK says: read when a direct
 * conversation is opened and after this device marks, unmarks or scans. The marks themselves live
 * in the account document, synced to the account's devices.
 */
class VerificationStore {
  private readonly states = $state<Record<string, VerificationState>>({});

  /** The contact's last known state (undefined until read). */
  of(handle: string): VerificationState | undefined {
    return this.states[handle];
  }

  /** Reads the contact's state again (errors leave the last known one). */
  async refresh(handle: string): Promise<void> {
    try {
      this.states[handle] = await sdk.verification.state(handle);
    } catch {
      // Offline or unknown: keep what was known.
    }
  }

  /** Marks the contact verified (after comparing the safety numbers). */
  async mark(handle: string): Promise<void> {
    this.states[handle] = await sdk.verification.markVerified(handle);
  }

  /** Clears the contact's mark. */
  async unmark(handle: string): Promise<void> {
    this.states[handle] = await sdk.verification.unmarkVerified(handle);
  }

  /** Compares a scanned code; a match marks verified. Returns whether it matched. */
  async scanned(handle: string, code: string): Promise<boolean> {
    const result = await sdk.verification.compareScanned(handle, code);
    this.states[handle] = result.state;
    return result.match;
  }
}

export const verification = new VerificationStore();
