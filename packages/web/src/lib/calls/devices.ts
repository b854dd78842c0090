/**
 * The microphones, cameras and speakers a call can use (Media Capture and Streams §9.2
 * `enumerateDevices`, Audio Output Devices API `setSinkId`). Labels are only known once the page
 * may use the microphone or camera, which a call has; a device without a label is numbered.
 */

/** One device the call can choose. */
export interface CallDevice {
  /** `MediaDeviceInfo.deviceId` (opaque, per origin). */
  id: string;
  /** What the user sees: the device's label, or "Microphone 2" when the browser gives none. */
  label: string;
}

/** The devices of each kind, in the browser's order. */
export interface CallDeviceChoices {
  microphones: CallDevice[];
  cameras: CallDevice[];
  /** Empty where the browser cannot choose where audio plays (no `setSinkId`). */
  speakers: CallDevice[];
}

/** Which kind of device: an input the call captures, or the output the other side plays on. */
export type CallDeviceKind = "microphone" | "camera" | "speaker";

const KIND: Record<MediaDeviceKind, CallDeviceKind> = {
  audioinput: "microphone",
  videoinput: "camera",
  audiooutput: "speaker",
};

const NAME: Record<CallDeviceKind, string> = {
  microphone: "Microphone",
  camera: "Camera",
  speaker: "Speaker",
};

/** Whether audio can be sent to a chosen output device here (`HTMLMediaElement.setSinkId`). */
export function speakerSelectable(): boolean {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

/** Lists the devices of each kind; empty lists where the browser has no `enumerateDevices`. */
export async function listCallDevices(): Promise<CallDeviceChoices> {
  const choices: CallDeviceChoices = { microphones: [], cameras: [], speakers: [] };
  const infos = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  const lists: Record<CallDeviceKind, CallDevice[]> = {
    microphone: choices.microphones,
    camera: choices.cameras,
    speaker: choices.speakers,
  };
  for (const info of infos) {
    const kind = KIND[info.kind];
    if (!kind || !info.deviceId) continue;
    if (kind === "speaker" && !speakerSelectable()) continue;
    const list = lists[kind];
    if (list.some((d) => d.id === info.deviceId)) continue;
    list.push({ id: info.deviceId, label: info.label || `${NAME[kind]} ${list.length + 1}` });
  }
  return choices;
}

/**
 * Opens the microphone or camera `deviceId` (exactly that one) and returns its track.
 * Errors: the `getUserMedia` DOMException (NotFoundError when it is gone, NotReadableError when
 * another application holds it, NotAllowedError without permission).
 */
export async function openInput(kind: "microphone" | "camera", deviceId: string): Promise<MediaStreamTrack> {
  const constraints = { deviceId: { exact: deviceId } };
  const stream = await navigator.mediaDevices.getUserMedia(
    kind === "microphone" ? { audio: constraints } : { video: constraints },
  );
  const track = kind === "microphone" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
  if (!track) throw new DOMException(`No ${NAME[kind].toLowerCase()} track`, "NotFoundError");
  return track;
}

/** The device a track captures from (`getSettings().deviceId`), or undefined. */
export function deviceOf(track: MediaStreamTrack | undefined): string | undefined {
  return track?.getSettings().deviceId || undefined;
}
