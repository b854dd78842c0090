/**
 * The media of a small group call: a full mesh of peer connections, one {@link PeerLink} from this
 * device to every other joined device, all behind one frame-crypto worker (`media-encryption.ts`:
 * each sender seals with its own key of the conversation's MLS epoch, RFC 9605 §5.2, and the KID
 * says whose key opens a frame). Offer and answer never cross: of each pair, the device with the
 * lexicographically smaller id offers ({@link offersTo}), the other answers.
 */
import { IceRestartPolicy } from "./ice-restart.js";
import type { CallMediaEncryption } from "./media-encryption.js";
import { PeerLink, type PeerSignal } from "./peer-link.js";
import { QualityMeter } from "./quality.js";

/** Whether this device (`self`) makes the offer to `peer` (the smaller device id offers). */
export function offersTo(self: string, peer: string): boolean {
  return self < peer;
}

/** What a {@link GroupMesh} needs. */
export interface GroupMeshOptions {
  /** This device's id. */
  self: string;
  /** STUN/TURN servers (`client.calls.iceServers()`). */
  iceServers: RTCIceServer[];
  /** The call's media encryption (one worker for every link). */
  encryption: CallMediaEncryption;
  /** This device's microphone (and camera). */
  local: MediaStream;
  /** Sends one signal to one peer device (the store adds `callId` and `toDevice`). */
  send: (toDevice: string, signal: PeerSignal) => void;
  /** A link's connection state changed (tiles show "connecting" until "connected"). */
  onState: (deviceId: string, state: RTCPeerConnectionState) => void;
  /** An ICE restart offer to a peer could not be made. */
  onRestartError?: (deviceId: string, err: unknown) => void;
}

/** One peer device's link and the media it receives. */
export interface MeshPeer {
  link: PeerLink;
  remote: MediaStream;
  /** Restarts the link's ICE when it is lost, if this device is the pair's offerer. */
  ice: IceRestartPolicy;
  /** The link's connection quality (getStats), for its tile. */
  quality: QualityMeter;
}

/** The peer connections of one group call, keyed by the other device's id. */
export class GroupMesh {
  private readonly peers = new Map<string, MeshPeer>();
  /** ICE candidates that came before the offer made their link. */
  private readonly early = new Map<string, RTCIceCandidateInit[]>();
  /** The video every link sends instead of the camera (a shared screen), or undefined: the camera. */
  private video: MediaStreamTrack | undefined;

  constructor(private readonly options: GroupMeshOptions) {}

  /** The peer devices with a link. */
  deviceIds(): string[] {
    return [...this.peers.keys()];
  }

  /** The link to `deviceId`, if any. */
  peer(deviceId: string): MeshPeer | undefined {
    return this.peers.get(deviceId);
  }

  /**
   * Connects to a device that joined the call: offers when this device is the pair's offerer
   * (resolves once the offer is sent); otherwise nothing — the other side's offer makes the link.
   * @returns whether this device offered (false: it waits for the peer's offer, or a link exists)
   */
  async connect(deviceId: string): Promise<boolean> {
    if (this.peers.has(deviceId) || !offersTo(this.options.self, deviceId)) return false;
    const { link } = this.open(deviceId);
    await link.offer();
    if (this.video) await link.replaceTrack("video", this.video);
    return true;
  }

  /** Applies a peer's offer (making its link) or answer. Ignores an answer without a link. */
  async onDescription(
    deviceId: string,
    description: { type: "offer" | "answer"; sdp: string },
  ): Promise<void> {
    let peer = this.peers.get(deviceId);
    const fresh = !peer;
    if (!peer) {
      if (description.type !== "offer") return;
      peer = this.open(deviceId);
    }
    await peer.link.onDescription(description);
    if (fresh && this.video) await peer.link.replaceTrack("video", this.video);
  }

  /** Adds a peer's ICE candidate (held until the link exists). */
  async onCandidate(deviceId: string, candidate: RTCIceCandidateInit): Promise<void> {
    const peer = this.peers.get(deviceId);
    if (peer) await peer.link.onCandidate(candidate);
    else this.early.set(deviceId, [...(this.early.get(deviceId) ?? []), candidate]);
  }

  /** Sends `track` instead of the current one of its kind on every link (no renegotiation). */
  async replaceTrack(kind: "audio" | "video", track: MediaStreamTrack | null): Promise<void> {
    await Promise.all([...this.peers.values()].map((p) => p.link.replaceTrack(kind, track)));
  }

  /**
   * Sends `screen` instead of the camera on every link, and on links made later (screen share), or
   * with undefined the camera again (a voice call's links have no video sender: nothing changes).
   */
  async sendScreen(screen: MediaStreamTrack | undefined): Promise<void> {
    this.video = screen;
    const video = screen ?? this.options.local.getVideoTracks()[0] ?? null;
    await this.replaceTrack("video", video);
  }

  /**
   * Restarts ICE on the link to `deviceId` now (the debug handle's hook; the link's
   * {@link IceRestartPolicy} does it when ICE is lost). Only the pair's offerer restarts.
   */
  async restartIce(deviceId: string): Promise<void> {
    await this.peers.get(deviceId)?.ice.restart();
  }

  /** Closes the link to a device that left. */
  disconnect(deviceId: string): void {
    this.peers.get(deviceId)?.ice.close();
    this.peers.get(deviceId)?.link.close();
    this.peers.delete(deviceId);
    this.early.delete(deviceId);
  }

  /** Closes every link. */
  close(): void {
    for (const deviceId of this.deviceIds()) this.disconnect(deviceId);
  }

  private open(deviceId: string): MeshPeer {
    const remote = new MediaStream();
    const link = new PeerLink({
      iceServers: this.options.iceServers,
      encryption: this.options.encryption,
      local: this.options.local,
      remote,
      peer: deviceId,
      send: (signal) => this.options.send(deviceId, signal),
      onState: (state) => this.options.onState(deviceId, state),
      onIceState: (state) => ice.onIceState(state),
    });
    const ice = new IceRestartPolicy(link, {
      restarts: () => offersTo(this.options.self, deviceId) && this.peers.get(deviceId)?.link === link,
      onError: (err) => this.options.onRestartError?.(deviceId, err),
    });
    const peer = { link, remote, ice, quality: new QualityMeter(link.pc) };
    this.peers.set(deviceId, peer);
    const early = this.early.get(deviceId) ?? [];
    this.early.delete(deviceId);
    for (const candidate of early) void link.onCandidate(candidate);
    return peer;
  }
}
