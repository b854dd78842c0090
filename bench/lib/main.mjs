import { pathToFileURL } from "node:url";

/**
 * Parses `--key value` / `--key=value` / `--flag` arguments into an object of strings (flags: "true").
 */
export function parseFlags(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    if (eq > 0) out[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) out[arg.slice(2)] = argv[++i];
    else out[arg.slice(2)] = "true";
  }
  return out;
}

/**
 * When the module at `moduleUrl` is the process's entry point, runs `run(flags)` and prints its
 * result as one JSON line on stdout (the benchmark runner reads the last line), then exits.
 * Progress goes to stderr.
 */
export function runAsMain(moduleUrl, run) {
  if (!process.argv[1] || pathToFileURL(process.argv[1]).href !== moduleUrl) return;
  run(parseFlags(process.argv.slice(2))).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** A number flag with a default. */
export function numberFlag(flags, key, fallback) {
  const v = flags[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${key} must be a number, got ${v}`);
  return n;
}
