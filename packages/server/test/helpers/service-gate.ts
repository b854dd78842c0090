import { Socket } from "node:net";

/**
 * Whether tests that need an external service (PostgreSQL, Redis, a redis-server binary) run.
 * When the service is there they run. When it is missing they are skipped with a hint — except under
 * `CI=true`, where they run and fail in `assert()`, so CI can never pass by skipping them.
 */
export interface ServiceGate {
  /** False only when the tests should be skipped (service missing, not in CI). */
  run: boolean;
  /** Throws the hint when the service is missing (call it in beforeAll). */
  assert(): void;
}

/** True when `CI=true` (the CI entry point sets it). */
export const IN_CI = process.env.CI === "true";

/**
 * Builds a {@link ServiceGate}; prints the hint once when the tests are skipped.
 *
 * @param available whether the service was found
 * @param hint what is missing and how to provide it
 */
export function serviceGate(available: boolean, hint: string): ServiceGate {
  if (!available && !IN_CI) console.warn(`skipping: ${hint}`);
  return {
    run: available || IN_CI,
    assert() {
      if (!available) throw new Error(`${hint} (CI=true: tests that need it fail instead of skipping)`);
    },
  };
}

/** Resolves true when a TCP connection to host:port opens within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, host, () => done(true));
  });
}
