/**
 * A call's connection quality from `RTCPeerConnection.getStats()` (W3C webrtc-stats): the
 * round-trip time of the nominated candidate pair (§7.15 `currentRoundTripTime`), the share of
 * inbound RTP packets lost since the last measurement (§7.3 `packetsLost` / `packetsReceived`),
 * and the ICE connection state; summed up as a level the call view shows and names.
 */

/** How the connection is, in words a person can act on. */
export type QualityLevel = "good" | "fair" | "poor" | "reconnecting";

/** One measurement. */
export interface CallQuality {
  level: QualityLevel;
  /** Round-trip time (ms), when the selected candidate pair reports one. */
  rttMs?: number;
  /** Inbound packets lost since the previous measurement (percent, 0–100), when any were expected. */
  lossPercent?: number;
  /** `RTCPeerConnection.iceConnectionState`. */
  iceState: RTCIceConnectionState;
}

/** Round trip above this (ms) makes the call "fair"; above {@link POOR_RTT_MS}, "poor". */
const FAIR_RTT_MS = 300;
const POOR_RTT_MS = 700;
/** Packet loss above this (percent) makes the call "fair"; above {@link POOR_LOSS}, "poor". */
const FAIR_LOSS = 3;
const POOR_LOSS = 10;

/** The level for a measurement: ICE first (lost is lost), then the worse of RTT and loss. */
export function qualityLevel(
  iceState: RTCIceConnectionState,
  rttMs?: number,
  lossPercent?: number,
): QualityLevel {
  if (iceState === "disconnected" || iceState === "failed") return "reconnecting";
  const rtt = rttMs ?? 0;
  const loss = lossPercent ?? 0;
  if (rtt > POOR_RTT_MS || loss > POOR_LOSS) return "poor";
  if (rtt > FAIR_RTT_MS || loss > FAIR_LOSS) return "fair";
  return "good";
}

/** The measurement as a sentence for the accessible name: "Connection good: 12 ms round trip, 0% packet loss". */
export function qualityText(quality: CallQuality): string {
  const level = quality.level === "reconnecting" ? "lost, reconnecting" : quality.level;
  const parts: string[] = [];
  if (quality.rttMs !== undefined) parts.push(`${Math.round(quality.rttMs)} ms round trip`);
  if (quality.lossPercent !== undefined) parts.push(`${quality.lossPercent.toFixed(0)}% packet loss`);
  return parts.length ? `Connection ${level}: ${parts.join(", ")}` : `Connection ${level}`;
}

/** Measures one connection again and again; loss counts between two measurements. */
export class QualityMeter {
  private lost = 0;
  private received = 0;

  constructor(private readonly pc: RTCPeerConnection) {}

  /** Reads getStats once. Errors: getStats' (the connection closed) propagate. */
  async measure(): Promise<CallQuality> {
    const report = await this.pc.getStats();
    let rttSeconds: number | undefined;
    let lost = 0;
    let received = 0;
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === "candidate-pair" && s.nominated === true && s.state === "succeeded") {
        if (typeof s.currentRoundTripTime === "number") rttSeconds = s.currentRoundTripTime;
      } else if (s.type === "inbound-rtp") {
        lost += Number(s.packetsLost ?? 0);
        received += Number(s.packetsReceived ?? 0);
      }
    });
    const expected = lost - this.lost + (received - this.received);
    const lossPercent = expected > 0 ? (Math.max(0, lost - this.lost) / expected) * 100 : undefined;
    this.lost = lost;
    this.received = received;
    const iceState = this.pc.iceConnectionState;
    const rttMs = rttSeconds === undefined ? undefined : rttSeconds * 1000;
    return {
      level: qualityLevel(iceState, rttMs, lossPercent),
      iceState,
      ...(rttMs === undefined ? {} : { rttMs }),
      ...(lossPercent === undefined ? {} : { lossPercent }),
    };
  }
}
