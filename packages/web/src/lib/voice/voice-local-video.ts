/**
 * This device's video in a voice channel: its camera and a shared screen (screen, window or tab,
 * `getDisplayMedia`). One video is sent at a time, as in 1:1 calls: a shared screen takes the
 * camera's place, and when sharing stops the camera comes back if it is still on. What is sent
 * goes to `send` (the room's video sender, `voice-video-sender.ts`).
 */

/** The camera and screen tracks of one voice connection. */
export class VoiceLocalVideo {
  private camera: MediaStreamTrack | undefined;
  private screen: MediaStreamTrack | undefined;

  /**
   * @param send sends a track as this participant's video, or none (`null`)
   * @param onChange the camera or the screen started or stopped (also when the browser's own
   *   "Stop sharing" ended the screen share)
   */
  constructor(
    private readonly send: (track: MediaStreamTrack | null) => Promise<void>,
    private readonly onChange: () => void,
  ) {}

  /** Whether the camera is on. */
  get cameraOn(): boolean {
    return this.camera !== undefined;
  }

  /** Whether a screen is shared. */
  get sharingScreen(): boolean {
    return this.screen !== undefined;
  }

  /** The track sent now (the screen while shared, else the camera), for a local preview. */
  get current(): MediaStreamTrack | undefined {
    return this.screen ?? this.camera;
  }

  /**
   * Turns the camera on or off.
   * @throws DOMException NotAllowedError / NotFoundError (no camera, or refused); VollyError from
   *   the renegotiation (the camera is off again then)
   */
  async setCamera(on: boolean): Promise<void> {
    if (on === this.cameraOn) return;
    if (on) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: true });
      this.camera = stream.getVideoTracks()[0];
    } else {
      this.camera?.stop();
      this.camera = undefined;
    }
    await this.publish(() => {
      this.camera?.stop();
      this.camera = undefined;
    });
  }

  /**
   * Shares a screen (the browser asks which) or stops sharing.
   * @throws DOMException NotAllowedError (the choice was cancelled); VollyError from the
   *   renegotiation (sharing stops then)
   */
  async setScreenShare(on: boolean): Promise<void> {
    if (on === this.sharingScreen) return;
    if (on) {
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const track = display.getVideoTracks()[0];
      if (!track) return;
      track.onended = () => {
        if (this.screen === track) void this.setScreenShare(false).catch(() => undefined);
      };
      this.screen = track;
    } else {
      this.screen?.stop();
      this.screen = undefined;
    }
    await this.publish(() => {
      this.screen?.stop();
      this.screen = undefined;
    });
  }

  /** Stops the camera and the shared screen (nothing is sent any more). */
  stop(): void {
    this.camera?.stop();
    this.screen?.stop();
    this.camera = undefined;
    this.screen = undefined;
  }

  private async publish(undo: () => void): Promise<void> {
    this.onChange();
    try {
      await this.send(this.current ?? null);
    } catch (error) {
      undo();
      this.onChange();
      await this.send(this.current ?? null).catch(() => undefined);
      throw error;
    }
  }
}
