/**
 * Records a voice message from the microphone: MediaRecorder, Opus in WebM
 * (`audio/webm;codecs=opus`, what Chromium and Firefox record), in 250 ms slices.
 */

/** The recording format. */
export const VOICE_MIME = "audio/webm;codecs=opus";

/** A recording in progress. */
export class VoiceRecorder {
  private readonly chunks: Blob[] = [];
  private readonly recorder: MediaRecorder;
  private readonly stream: MediaStream;
  /** When the recording started (performance.now(), ms). */
  readonly startedAt: number;

  private constructor(stream: MediaStream) {
    this.stream = stream;
    const mimeType = MediaRecorder.isTypeSupported(VOICE_MIME) ? VOICE_MIME : "";
    this.recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    this.recorder.ondataavailable = (ev) => {
      if (ev.data.size > 0) this.chunks.push(ev.data);
    };
    this.recorder.start(250);
    this.startedAt = performance.now();
  }

  /**
   * Asks for the microphone and starts recording. Throws the browser's DOMException when access is
   * refused (NotAllowedError) or there is no microphone (NotFoundError).
   */
  static async start(): Promise<VoiceRecorder> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    return new VoiceRecorder(stream);
  }

  /** How long it has recorded (ms). */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** Stops and returns the recording (type audio/webm) and its length measured while recording (ms). */
  stop(): Promise<{ audio: Blob; elapsedMs: number }> {
    const elapsedMs = Math.round(this.elapsedMs());
    return new Promise((resolve) => {
      this.recorder.onstop = () => {
        this.release();
        const type = (this.recorder.mimeType || VOICE_MIME).split(";")[0] ?? "audio/webm";
        resolve({ audio: new Blob(this.chunks, { type }), elapsedMs });
      };
      this.recorder.stop();
    });
  }

  /** Stops and throws the recording away. */
  cancel(): void {
    this.recorder.onstop = () => this.release();
    if (this.recorder.state !== "inactive") this.recorder.stop();
    else this.release();
  }

  /** Turns the microphone off (its indicator goes away). */
  private release(): void {
    for (const track of this.stream.getTracks()) track.stop();
  }
}
