import { spawnSync } from "node:child_process";

/**
 * Whether the Janus tests run here: true when `janus` is installed. With `CI=true` it is always true
 * (a missing Janus fails the tests); elsewhere they are skipped with a note saying how to install it.
 */
export function janusAvailable(): boolean {
  if (process.env.CI === "true") return true;
  const found = spawnSync("sh", ["-c", "command -v janus"]).status === 0;
  if (!found) console.warn("Skipping the SFU tests: Janus is not installed (apt-get install janus).");
  return found;
}

/** Whether a process with this id exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The fields of the last JSON log line of `output` whose `msg` is `msg`, or undefined. */
export function lastLogLine(output: string, msg: string): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  for (const line of output.split("\n")) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      found = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // a partial line: the next read completes it
    }
  }
  return found;
}
