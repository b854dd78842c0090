/**
 * Screen capture for a call's screen share, shared by the 1:1 and the group calls: one video track
 * of a screen, window or tab the person picks (`getDisplayMedia`, W3C Screen Capture), sent
 * instead of the camera with `RTCRtpSender.replaceTrack` (no renegotiation; the sender keeps its
 * SFrame transform).
 */

/**
 * Asks the browser for a screen, window or tab to share (video only).
 * @param onEnded called when the capture ends outside the app (the browser's "Stop sharing")
 * @returns the screen's video track, or undefined when the browser gave none
 * @throws DOMException from getDisplayMedia (NotAllowedError when the person cancels the picker)
 */
export async function captureScreen(onEnded: () => void): Promise<MediaStreamTrack | undefined> {
  const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  const track = display.getVideoTracks()[0];
  if (track) track.onended = onEnded;
  return track;
}
