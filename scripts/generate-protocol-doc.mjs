#!/usr/bin/env node
/**
 * Generates docs/protocol.md from the built protocol package (packages/protocol/dist), so the
 * document can never drift from the schemas the server and clients actually use.
 *
 *   npx tsc -b packages/protocol && node scripts/generate-protocol-doc.mjs
 *
 * `renderProtocolDoc()` returns the Markdown; running this file writes it to docs/protocol.md.
 * The output is deterministic: it depends only on the protocol package, the comments in
 * src/limits.ts and the repository's pinned Biome, which formats it (tables aligned, short JSON
 * arrays on one line) so that `biome check .` accepts the file as generated.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST_ENTRY = join(ROOT, "packages/protocol/dist/index.js");
const LIMITS_SOURCE = join(ROOT, "packages/protocol/src/limits.ts");
export const OUTPUT_PATH = join(ROOT, "docs/protocol.md");

const p = await import(pathToFileURL(DIST_ENTRY).href).catch((error) => {
  throw new Error(`cannot load ${DIST_ENTRY}; build it first with \`npx tsc -b packages/protocol\``, {
    cause: error,
  });
});

/** Short meaning of each gateway opcode; the direction is derived from the frame unions. */
const OP_MEANING = {
  DISPATCH: "An event (`t`) with its per-session sequence number (`s`) and payload (`d`).",
  HEARTBEAT: "Keep-alive; `d` is the last dispatch `s` the client has seen (or null).",
  IDENTIFY: "Authenticate the connection with a signature over the HELLO nonce.",
  RESUME: "Re-attach to an earlier session after a dropped connection.",
  RECONNECT: "The server asks the client to reconnect (and resume), e.g. before it shuts down.",
  INVALID_SESSION: "IDENTIFY or RESUME failed; `d.resumable` says whether RESUME may be retried.",
  HELLO: "First frame on every connection: heartbeat interval and the nonce to sign.",
  HEARTBEAT_ACK: "Answer to HEARTBEAT.",
  ACK: "Delivery acknowledgement: advances the device's cursors and clears delivered welcomes.",
  ERROR: "An error (`ErrorResponse`); if fatal, the server then closes with the code's close code.",
  TYPING: "The user is typing in a group (ephemeral; relayed to the members' live sessions).",
  SEND:
    "Append an application message to a group's log (the body of `POST /v1/groups/{groupId}/messages` " +
    "plus `groupId`), after READY.",
  SEND_ACK:
    "Answer to SEND once the message is durable: its `seq`. A SEND that fails gets ERROR with " +
    "`details.messageId` instead.",
};

/** Short meaning of each dispatch event. */
const EVENT_MEANING = {
  READY: "Answer to a successful IDENTIFY: the new session and who the device is.",
  RESUMED: "Answer to a successful RESUME.",
  GROUP_MESSAGE:
    "One entry of a group's ordered log (a commit or an application message), sent to every member " +
    "device except its sender.",
  WELCOME: "An MLS Welcome for this device, with the ratchet tree of the new epoch served out of band.",
  SYNCED:
    "Sent once after READY/RESUMED when everything past the device's cursors (the backlog) has been dispatched.",
};

const opName = (op) => Object.keys(p.GatewayOp).find((name) => p.GatewayOp[name] === op) ?? String(op);

/** Pretty JSON Schema; JSON.stringify drops TypeBox's symbol keys ([Kind], [OptionalKind], ...). */
function schemaBlock(schema) {
  return ["```json", JSON.stringify(schema, null, 2), "```"].join("\n");
}

/** Escapes text for a Markdown table cell. */
function cell(text) {
  return String(text).replaceAll("|", "\\|").replaceAll("\n", " ");
}

function table(header, rows) {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** The `op` constant of a frame schema. */
function frameOp(frame) {
  return frame.properties.op.const;
}

/** Doc comments of LIMITS keys, read from the source (`/** text *\/` directly above `key:`). */
function limitDescriptions() {
  const out = {};
  let source = "";
  try {
    source = readFileSync(LIMITS_SOURCE, "utf8");
  } catch {
    return out;
  }
  for (const m of source.matchAll(/\/\*\*\s*((?:(?!\*\/)[\s\S])*?)\s*\*\/\s*\n\s*(\w+)\s*:/g)) {
    out[m[2]] = m[1].replace(/\s*\n\s*\*\s*/g, " ").trim();
  }
  return out;
}

function humanBytes(n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

function humanMs(n) {
  if (n % 3_600_000 === 0) return `${n / 3_600_000} h`;
  if (n % 60_000 === 0) return `${n / 60_000} min`;
  if (n % 1000 === 0) return `${n / 1000} s`;
  return `${n} ms`;
}

function humanLimit(key, value) {
  if (key.endsWith("Bytes")) return humanBytes(value);
  if (key.endsWith("Ms")) return humanMs(value);
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Renders a signing input with placeholders, e.g. `volly/v1/identify\n<nonce>`. */
function signingText(bytes) {
  return p.fromUtf8(bytes).replaceAll("\n", "\\n");
}

function renderIntro() {
  const identify = signingText(p.signingInput.identify("<nonce>"));
  const session = signingText(p.signingInput.session("<nonce>"));
  const register = signingText(p.signingInput.register("<handle>", "<signaturePublicKey>"));
  return `# Volly wire protocol

Generated from packages/protocol by \`npm run docs\`; do not edit by hand.

Protocol version: **${p.PROTOCOL_VERSION}**. Every schema below is the JSON Schema that
\`packages/protocol\` (TypeBox) exports; the server validates every inbound frame and request
body against it and the SDK uses the same schemas.

## Conventions

- **Gateway**: a WebSocket carrying JSON text frames \`{op, d, s?, t?}\` in the style of
  Discord's gateway. \`op\` is the opcode, \`d\` its payload; \`s\` (sequence number) and \`t\`
  (event name) are present on DISPATCH frames only.
- **REST v1**: JSON over HTTP. Failing requests return an \`ErrorResponse\` body with the HTTP
  status of its code (see [Error codes](#error-codes)).
- **Bytes**: every binary value (keys, signatures, MLS messages, ratchet trees) is unpadded
  base64url (RFC 4648 §5). Ids are 128 random bits as 22 base64url characters. Timestamps are
  integer milliseconds since the Unix epoch.
- **Authentication**: there are no passwords. A device proves possession of its Ed25519
  signature key (the key its MLS credential carries) by signing a context-labelled UTF-8 string
  (\`signingInput.*\`); the label prevents a signature made for one purpose being replayed for
  another. Nonces are issued by the server, expire, and are single-use.

| purpose | signed string (UTF-8; \`\\n\` is a newline) |
| --- | --- |
| register an account (\`POST /v1/accounts\`) | \`${register}\` |
| gateway IDENTIFY / RESUME (nonce from HELLO) | \`${identify}\` |
| REST session (nonce from \`POST /v1/auth/challenge\`) | \`${session}\` |

- **Content**: the server only ever sees MLS (RFC 9420) messages. What an application message
  decrypts to is described under [Encrypted content](#encrypted-content); the server cannot
  read or validate it.`;
}

function renderLifecycle() {
  return `## Gateway lifecycle

1. The client opens the WebSocket; the server sends **HELLO** with \`heartbeatIntervalMs\` and a
   fresh single-use \`nonce\`.
2. The client sends **IDENTIFY** with its \`deviceId\`, \`protocolVersion\` and an Ed25519
   signature over \`signingInput.identify(nonce)\`. A bad signature or nonce ends the connection
   with the error's close code.
3. The server answers with a **DISPATCH** \`READY\` (the \`sessionId\`, account, device, handle).
4. The server dispatches the backlog: every \`GROUP_MESSAGE\` past the device's cursor in each of
   its groups and every pending \`WELCOME\`, then one \`SYNCED\` with the number of backlog events.
   After SYNCED, dispatches are live.
5. Every DISPATCH carries \`s\`, a sequence number per session, increasing by one. The client
   sends **HEARTBEAT** every \`heartbeatIntervalMs\` with the last \`s\` it saw; the server answers
   **HEARTBEAT_ACK**. The server may close a connection that stops sending heartbeats.
6. Once the device has durably stored what it processed (decrypted message and new MLS state in
   one transaction), it sends **ACK** with the highest processed log \`seq\` per group and the ids
   of processed welcomes. Cursors only advance on ACK, so delivery is at-least-once; clients drop
   duplicates by \`messageId\`.
7. After a drop, the client reconnects, receives a new HELLO and sends **RESUME** with its
   \`sessionId\`, the last \`s\` it saw and a signature over the new nonce. The server replays the
   dispatches after \`s\` and sends \`RESUMED\`. If the session cannot be resumed the server sends
   **INVALID_SESSION**; with \`resumable: false\` the client must IDENTIFY again (and gets its
   backlog from its cursors).
8. A client may also send messages over the gateway: **SEND** carries what
   \`POST /v1/groups/{groupId}/messages\` takes, plus the \`groupId\`. The server answers
   **SEND_ACK** \`{groupId, messageId, seq, duplicate}\` once the message is durable, or
   **ERROR** with \`details.messageId\`; the connection stays open either way. SENDs of one
   connection to one group are appended in the order they arrive, so a client may keep several in
   flight. A SEND must fit in one inbound frame; larger messages go over REST.
9. **RECONNECT** asks the client to reconnect and resume. **ERROR** reports a problem with a frame;
   when the error ends the connection, the server closes with the WebSocket close code listed for
   the error code.

\`\`\`text
client                                   server
  | ---------------- connect ------------> |
  | <--------------- HELLO {nonce} ------- |
  | ---- IDENTIFY {deviceId, signature} -> |
  | <--- DISPATCH READY  (s=1) ----------- |
  | <--- DISPATCH GROUP_MESSAGE / WELCOME  |   backlog
  | <--- DISPATCH SYNCED {backlog} ------- |
  | <--- DISPATCH GROUP_MESSAGE ... ------ |   live
  | ---- ACK {cursors, welcomeIds} ------> |
  | ---- HEARTBEAT {d: s} ---------------> |
  | <--- HEARTBEAT_ACK ------------------- |
\`\`\`

An inbound frame larger than ${humanBytes(p.LIMITS.maxInboundFrameBytes)} is answered with an ERROR
frame \`VOLLY_E_FRAME_TOO_LARGE\` and changes nothing; the connection stays open. One larger than
${humanBytes(p.LIMITS.inboundFrameHardCapBytes)} is not read at all: the server closes the connection
with 1009 (RFC 6455 §7.4.1), without an ERROR frame. The server sends frames up to
${humanBytes(p.LIMITS.maxOutboundFrameBytes)}, so clients set their WebSocket \`maxPayload\` to that.`;
}

function renderOpcodes() {
  const clientOps = new Set(p.ClientFrame.anyOf.map(frameOp));
  const serverOps = new Set(p.ServerFrame.anyOf.map(frameOp));
  const rows = Object.entries(p.GatewayOp)
    .sort((a, b) => a[1] - b[1])
    .map(([name, op]) => {
      const dir = [clientOps.has(op) ? "client → server" : "", serverOps.has(op) ? "server → client" : ""]
        .filter(Boolean)
        .join(", ");
      return [String(op), name, dir || "—", OP_MEANING[name] ?? ""];
    });
  return `## Gateway opcodes\n\n${table(["op", "name", "direction", "meaning"], rows)}`;
}

function renderFrames(title, intro, frames) {
  const parts = [`## ${title}`, intro];
  for (const frame of [...frames].sort((a, b) => frameOp(a) - frameOp(b))) {
    const op = frameOp(frame);
    const name = opName(op);
    const meaning = OP_MEANING[name] ?? frame.description;
    parts.push(`### ${name} (op ${op})`);
    if (meaning) parts.push(meaning);
    parts.push(schemaBlock(frame));
  }
  return parts.join("\n\n");
}

function renderDispatchEvents() {
  const parts = [
    "## Dispatch events",
    "Each is sent as `{op: 0, s, t: <name>, d: <payload>}`; `d` matches the schema of its event.",
  ];
  for (const [name, schema] of Object.entries(p.DISPATCH_EVENTS)) {
    parts.push(`### ${name}`);
    const meaning = EVENT_MEANING[name] ?? schema.description;
    if (meaning) parts.push(meaning);
    parts.push(schemaBlock(schema));
  }
  return parts.join("\n\n");
}

function renderRest() {
  const parts = [
    "## REST v1",
    "Routes marked **bearer** need `Authorization: Bearer <token>` with a token from " +
      "`POST /v1/auth/session` (valid " +
      humanMs(p.LIMITS.sessionTtlMs) +
      "). Path parameters use Fastify syntax (`:name`). Request bodies are limited to " +
      humanBytes(p.LIMITS.maxRequestBodyBytes) +
      ". Every failing request returns this body:",
    schemaBlock(p.ErrorResponse),
  ];
  for (const [key, route] of Object.entries(p.ROUTES)) {
    parts.push(`### \`${route.method} ${route.path}\``);
    parts.push(
      [
        `- name: \`${key}\``,
        `- auth: ${route.auth ? "**bearer**" : "none"}`,
        `- summary: ${route.summary}`,
      ].join("\n"),
    );
    if (route.params) parts.push(`Path parameters:\n\n${schemaBlock(route.params)}`);
    if (route.body) parts.push(`Request body:\n\n${schemaBlock(route.body)}`);
    parts.push(`Response (${route.status ?? 200}):\n\n${schemaBlock(route.response)}`);
  }
  parts.push(
    "### Files (binary routes)",
    "Encrypted files travel outside JSON: uploads are tus 1.0 (resumable) under `/v1/uploads`, " +
      "downloads plain HTTP with ranges. Every route needs **bearer**; errors are the body above.",
  );
  for (const route of p.FILE_BINARY_ROUTES) {
    parts.push(`#### \`${route.method} ${route.path}\`\n\n${route.summary}`);
  }
  return parts.join("\n\n");
}

function renderContent() {
  return [
    "## Encrypted content",
    "The plaintext of an MLS application message is UTF-8 JSON matching `ApplicationContent`. " +
      "The server never sees it. A content's `id` must equal the envelope's `messageId`, so the " +
      "server cannot move a ciphertext between envelopes unnoticed.",
    schemaBlock(p.ApplicationContent),
    "## Invite links",
    "`volly://invite/<token>` or `<server>/i/<token>`, where token = base64url(JSON payload) + " +
      '"." + base64url(Ed25519 signature of the payload bytes by the inviter\'s device key). ' +
      "The `fingerprint` (SHA-256 of the inviter's identity key) lets the invitee detect a " +
      "directory that returns a different key for the inviter.",
    schemaBlock(p.InvitePayload),
    "## Direct paths (peer to peer)",
    "Member devices signal WebRTC data channels with the ephemeral contents `p2p.hello` and " +
      "`p2p.sdp` (above), relayed by the server or sent to a device's LAN rendezvous: a TCP port " +
      "announced by mDNS/DNS-SD as `_volly-p2p._tcp.local` with opaque per-epoch tags (`t=<16 hex>`, " +
      "8 bytes of the MLS exporter labelled `volly p2p lan tag`). A rendezvous frame is a 4-byte " +
      "big-endian length and this JSON, the same shape as EPHEMERAL_MESSAGE:",
    schemaBlock(p.RendezvousFrame),
    "Each text message on a data channel (label `volly-direct`, reliable and ordered) is one of " +
      "these frames. A message frame carries the same MLS ciphertext and message id as the server's " +
      "log; receivers drop the copy that comes second, relay frames with `hops` left to the other " +
      "member devices of the group, and never relay a message id twice.",
    schemaBlock(p.DirectFrame),
  ].join("\n\n");
}

function renderErrors() {
  const rows = Object.entries(p.ERROR_CODES).map(([code, e]) => [
    `\`${code}\``,
    String(e.http),
    String(e.close),
    e.message,
  ]);
  return [
    "## Error codes",
    "Every error carries one of these codes. `http` is the REST status; `close` is the WebSocket " +
      "close code the gateway uses when the error ends the connection (RFC 6455 §7.4; 4000–4999 " +
      "are application codes). Some codes are raised only by the SDK and CLI; for those the " +
      "status is nominal.",
    table(["code", "http", "close", "message"], rows),
  ].join("\n\n");
}

function renderLimits() {
  const desc = limitDescriptions();
  const rows = Object.entries(p.LIMITS).map(([key, value]) => [
    `\`${key}\``,
    String(value),
    humanLimit(key, value),
    desc[key] ?? "",
  ]);
  return ["## Limits", table(["name", "value", "readable", "meaning"], rows)].join("\n\n");
}

/** Formats Markdown with the repository's Biome (a devDependency), as `biome check` expects it. */
function formatMarkdown(markdown) {
  const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
  const result = spawnSync(process.execPath, [biome, "format", "--stdin-file-path=docs/protocol.md"], {
    cwd: ROOT,
    input: markdown,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0 || !result.stdout) {
    throw new Error(`biome format failed (exit ${result.status}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** Returns the full Markdown of docs/protocol.md. */
export function renderProtocolDoc() {
  return formatMarkdown(renderUnformatted());
}

function renderUnformatted() {
  const clientIntro =
    "Every frame a client may send. The server validates each inbound frame against these schemas; " +
    "unknown properties are rejected.";
  const serverIntro = "Every frame the server sends. DISPATCH payloads are listed under Dispatch events.";
  return `${[
    renderIntro(),
    renderLifecycle(),
    renderOpcodes(),
    renderFrames("Client frames", clientIntro, p.ClientFrame.anyOf),
    renderFrames("Server frames", serverIntro, p.ServerFrame.anyOf),
    renderDispatchEvents(),
    renderRest(),
    renderContent(),
    renderErrors(),
    renderLimits(),
  ].join("\n\n")}\n`;
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  writeFileSync(OUTPUT_PATH, renderProtocolDoc());
  console.log(`wrote ${OUTPUT_PATH}`);
}
