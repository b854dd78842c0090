import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { MessageEvent } from "@volly/bot";
import { Webhook } from "standardwebhooks";

/** One request a test receiver got. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** ms since the epoch, when it arrived */
  at: number;
}

/** What the receiver answers to the n-th request (0-based): a status, headers, or "hang" (no answer). */
export type Answer = number | { status: number; headers?: Record<string, string> } | "hang";

/**
 * A real HTTP webhook receiver on 127.0.0.1 (node:http), recording every request; `answer` picks
 * each response. `verify` checks a request as a real receiver would: `new Webhook(secret).verify`.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly hanging: ServerResponse[] = [];
  private server: Server | undefined;
  port = 0;

  constructor(private answer: (n: number, request: Received) => Answer = () => 204) {}

  /** Listens on `port` (0: any free port). */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const request = {
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
        };
        const answer = this.answer(this.received.length, request);
        this.received.push(request);
        if (answer === "hang") {
          this.hanging.push(res);
          return;
        }
        const { status, headers } = typeof answer === "number" ? { status: answer, headers: {} } : answer;
        res.writeHead(status, headers).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Changes the answers from now on. */
  answerWith(answer: (n: number, request: Received) => Answer): void {
    this.answer = answer;
  }

  /** The URL to give the dispatcher. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Requests carrying this webhook-id. */
  withId(id: string): Received[] {
    return this.received.filter((r) => r.headers["webhook-id"] === id);
  }

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Verifies a received request with `standardwebhooks`, as a receiver knowing `secret` would. */
export function verify(secret: string, request: Received): unknown {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === "string") headers[name] = value;
  return new Webhook(secret).verify(request.body, headers);
}

/** A fresh `whsec_` secret (24 random bytes, as Standard Webhooks recommends at least). */
export function newSecret(bytes = 24): string {
  return `whsec_${randomBytes(bytes).toString("base64")}`;
}

/** A valid MessageEvent with a fresh id. */
export function messageEvent(text = "hello"): MessageEvent {
  return {
    type: "message",
    id: randomBytes(16).toString("base64url"),
    conversationId: randomBytes(16).toString("base64url"),
    from: { accountId: "acct-1", handle: "alice", entityType: "human" },
    direction: "in",
    text,
    sentAt: Date.now(),
    attachments: [],
  };
}
