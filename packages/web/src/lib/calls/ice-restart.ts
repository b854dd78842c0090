/**
 * When a call's peer connection restarts ICE (RFC 8445 §9, RFC 8829 §4.1.10), shared by the 1:1
 * and the group calls: "failed" restarts at once, "disconnected" after {@link DISCONNECTED_GRACE_MS}
 * if it did not come back by itself (it often does). Only one side of a pair restarts (the side
 * that made the first offer), so two restart offers never cross; the other side answers the
 * restart's offer as usual.
 */

/** How long ICE may stay "disconnected" before the offering side restarts it (ms). */
export const DISCONNECTED_GRACE_MS = 3_000;

/** What the policy restarts: a `PeerLink` (its connection, and its restart offer). */
export interface RestartableLink {
  readonly pc: RTCPeerConnection;
  restartIce(): Promise<void>;
}

/** What an {@link IceRestartPolicy} needs besides the link. */
export interface IceRestartOptions {
  /** Whether this side restarts (it made the pair's first offer, and the call is still on). */
  restarts: () => boolean;
  /** A restart offer could not be made (the error of `createOffer`/`setLocalDescription`). */
  onError?: (err: unknown) => void;
}

/** The ICE restarts of one peer connection: feed it the ICE states, close it with the link. */
export class IceRestartPolicy {
  /** How many restarts this side began. */
  restartCount = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly link: RestartableLink,
    private readonly options: IceRestartOptions,
  ) {}

  /** The link's `iceConnectionState` changed (its `onIceState`). */
  onIceState(state: RTCIceConnectionState): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.options.restarts()) return;
    if (state === "failed") void this.restart();
    else if (state === "disconnected") {
      this.timer = setTimeout(() => {
        if (this.link.pc.iceConnectionState === "disconnected") void this.restart();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  /** Restarts ICE now, if this side is the one that restarts (also the debug handles' hook). */
  async restart(): Promise<void> {
    if (!this.options.restarts() || this.link.pc.signalingState === "closed") return;
    this.restartCount += 1;
    await this.link.restartIce().catch((err: unknown) => this.options.onError?.(err));
  }

  /** Stops waiting (the link closes). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
