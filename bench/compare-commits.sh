#!/usr/bin/env bash
# Measures one benchmark workload at several commits, for the before/after figures in
# bench/optimizations.md. Each commit is checked out into a temporary git worktree (sharing this
# checkout's node_modules), built with `tsc -b` (and `vite build` for the web workloads), and measured with *this* checkout's bench scripts,
# so every commit faces the same load generator.
#
#   bench/compare-commits.sh "fanout --quick --shapes embedded" COMMIT...
#   bench/compare-commits.sh --own-bench "fanout --quick" COMMIT...
#
# With --own-bench each commit is measured with its own bench scripts instead: for commits whose
# wire protocol differs (a load generator must speak the server it drives), at the cost of comparing
# two versions of the load generator too.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
own_bench=0
if [ "${1:-}" = "--own-bench" ]; then
  own_bench=1
  shift
fi
workload_args="$1"
shift
read -r workload rest <<<"$workload_args"
for commit in "$@"; do
  tree="$(mktemp -d /tmp/volly-commit-XXXXXX)"
  git -C "$root" worktree add --detach "$tree" "$commit" >/dev/null 2>&1
  # The worktree's node_modules: this checkout's third-party packages, its own workspace packages.
  mkdir -p "$tree/node_modules/@volly"
  for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do
    [ "$(basename "$entry")" = "@volly" ] || ln -s "$entry" "$tree/node_modules/$(basename "$entry")"
  done
  for pkg in "$tree"/packages/*; do ln -s "$pkg" "$tree/node_modules/@volly/$(basename "$pkg")"; done
  (cd "$tree" && "$root/node_modules/.bin/tsc" -b packages/cli >/dev/null)
  # The browser workloads (web, web-start) load the web app the commit's server serves: build it.
  case "$workload" in web*) (cd "$tree/packages/web" && "$root/node_modules/.bin/vite" build >/dev/null 2>&1) ;; esac
  echo "== $commit $(git -C "$root" log -1 --format=%s "$commit" | cut -c1-70)"
  # shellcheck disable=SC2086
  bench_root="$root"
  [ "$own_bench" = 1 ] && bench_root="$tree"
  VOLLY_CLI_BIN="$tree/packages/cli/dist/bin.js" node "$bench_root/bench/workloads/$workload.mjs" $rest 2>/dev/null | tail -1
  git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"
done
