/** Version of the Volly wire protocol (gateway frames and REST v1). Bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Version of this Volly release, reported by `GET /healthz` and the gateway HELLO. */
export const VOLLY_VERSION = "0.1.0";
