/**
 * The media of one group call on this device: the microphone (and camera), the frame-crypto
 * worker with the call's SFrame keys (`client.calls.mediaKeys`, each sender its own key of the
 * conversation's MLS epoch, RFC 9605 §5.2) and the mesh of peer connections (`group-mesh.ts`).
 */
import { CallKeySchedule } from "@volly/client/call-key-schedule";
import type { CallMedia } from "@volly/protocol";
import { sdk } from "../sdk.js";
import { GroupMesh, type GroupMeshOptions } from "./group-mesh.js";
import { CallMediaEncryption } from "./media-encryption.js";
import type { CallQuality } from "./quality.js";
import { captureScreen } from "./screen-share.js";

/** How often each link's connection quality is measured (ms). */
const QUALITY_EVERY_MS = 2_000;

/** What {@link GroupCallMedia.open} needs besides the call. */
export type GroupCallMediaOptions = Pick<GroupMeshOptions, "self" | "send" | "onState" | "onRestartError"> & {
  /** A link's connection quality was measured (every {@link QUALITY_EVERY_MS}). */
  onQuality?: (deviceId: string, quality: CallQuality) => void;
};

/** One group call's media objects (not reactive). */
export class GroupCallMedia {
  /** The shared screen's track, while sharing. */
  private screenTrack: MediaStreamTrack | undefined;
  private qualityTimer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    readonly conversationId: string,
    readonly callId: string,
    readonly local: MediaStream,
    readonly encryption: CallMediaEncryption,
    readonly mesh: GroupMesh,
    /** The call's keys: installed in the worker, the previous epoch's retired after a re-key. */
    private readonly keys: CallKeySchedule,
  ) {}

  /**
   * Opens the microphone (and camera for a video call), the worker with the call's keys for the
   * current epoch, and an empty mesh.
   * @throws DOMException from getUserMedia (e.g. NotAllowedError), the SDK's errors of `mediaKeys`
   */
  static async open(
    call: { conversationId: string; callId: string; media: CallMedia },
    options: GroupCallMediaOptions,
  ): Promise<GroupCallMedia> {
    const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: call.media === "video" });
    const encryption = new CallMediaEncryption(call.callId);
    const keys = new CallKeySchedule({
      fetchKeys: () => sdk.calls.mediaKeys(call.conversationId, call.callId),
      install: (epoch) => encryption.setEpoch(epoch),
      retire: (epoch) => encryption.retireEpoch(epoch),
    });
    try {
      const [, iceServers] = await Promise.all([
        keys.start(),
        sdk.calls.iceServers().catch((): RTCIceServer[] => []),
      ]);
      const mesh = new GroupMesh({ ...options, iceServers: iceServers as RTCIceServer[], encryption, local });
      const media = new GroupCallMedia(call.conversationId, call.callId, local, encryption, mesh, keys);
      if (options.onQuality) media.measureQuality(options.onQuality);
      return media;
    } catch (err) {
      keys.dispose();
      encryption.close();
      for (const track of local.getTracks()) track.stop();
      throw err;
    }
  }

  /** The MLS epoch whose keys seal this device's frames now. */
  get currentEpoch(): number | undefined {
    return this.keys.installedEpoch;
  }

  /**
   * The conversation's MLS epoch changed: the new keys seal from now on, the old go
   * `RETIRE_PREVIOUS_EPOCH_AFTER_MS` later (`CallKeySchedule`). Never rejects: a failed fetch
   * keeps the current keys.
   */
  rekey(): Promise<void> {
    return this.keys.refresh();
  }

  /** The shared screen's track while this device shares its screen. */
  get screen(): MediaStreamTrack | undefined {
    return this.screenTrack;
  }

  /** What this device's own tile shows: the shared screen while sharing, else the camera. */
  preview(): MediaStream {
    return this.screenTrack ? new MediaStream([this.screenTrack]) : this.local;
  }

  /**
   * Shares a screen (the person picks it) instead of the camera on every link.
   * @param onEnded the capture ended outside the app (the browser's "Stop sharing")
   * @throws DOMException from getDisplayMedia (NotAllowedError: the picker was cancelled)
   */
  async shareScreen(onEnded: () => void): Promise<void> {
    const track = await captureScreen(onEnded);
    if (!track) return;
    this.screenTrack?.stop();
    this.screenTrack = track;
    await this.mesh.sendScreen(track);
  }

  /** Stops sharing the screen: every link sends the camera again (off stays off). */
  async stopScreen(): Promise<void> {
    const track = this.screenTrack;
    this.screenTrack = undefined;
    track?.stop();
    await this.mesh.sendScreen(undefined);
  }

  /** Measures every link's quality (getStats) now and then; errors of closed links are dropped. */
  private measureQuality(onQuality: (deviceId: string, quality: CallQuality) => void): void {
    this.qualityTimer = setInterval(() => {
      for (const deviceId of this.mesh.deviceIds()) {
        const peer = this.mesh.peer(deviceId);
        void peer?.quality
          .measure()
          .then((quality) => {
            if (this.mesh.peer(deviceId) === peer) onQuality(deviceId, quality);
          })
          .catch(() => undefined);
      }
    }, QUALITY_EVERY_MS);
  }

  /** Closes every link, the worker, and stops the microphone, camera and shared screen. */
  close(): void {
    clearInterval(this.qualityTimer);
    this.screenTrack?.stop();
    this.screenTrack = undefined;
    this.keys.dispose();
    this.mesh.close();
    this.encryption.close();
    for (const track of this.local.getTracks()) track.stop();
  }
}
