#!/bin/sh
# Talks to a running `volly daemon` with curl only (see docs/machine-members/daemon.md).
#
#   VOLLY_DAEMON_URL   the daemon's address (default http://127.0.0.1:8787)
#   VOLLY_DAEMON_KEY   the local API key, or VOLLY_DAEMON_KEY_FILE: the file holding it
#
#   volly-daemon.sh list                    # the conversations, JSON
#   volly-daemon.sh messages CONV [LIMIT]   # the newest messages of a conversation, JSON
#   volly-daemon.sh send CONV TEXT          # send TEXT; prints the stored message, JSON
#   volly-daemon.sh events                  # Server-Sent Events: one "data: {json}" line per message
set -eu

URL="${VOLLY_DAEMON_URL:-http://127.0.0.1:8787}"
if [ -z "${VOLLY_DAEMON_KEY:-}" ] && [ -n "${VOLLY_DAEMON_KEY_FILE:-}" ]; then
  VOLLY_DAEMON_KEY=$(head -n 1 "$VOLLY_DAEMON_KEY_FILE")
fi
: "${VOLLY_DAEMON_KEY:?set VOLLY_DAEMON_KEY or VOLLY_DAEMON_KEY_FILE}"
AUTH="Authorization: Bearer $VOLLY_DAEMON_KEY"

# TEXT as a JSON string: backslashes and double quotes escaped, newlines as \n.
json_string() {
  printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' | awk 'BEGIN{ORS=""} NR>1{print "\\n"} {print}'
}

case "${1:-}" in
  list)
    curl -sS --fail-with-body -H "$AUTH" "$URL/v1/conversations"
    ;;
  messages)
    curl -sS --fail-with-body -H "$AUTH" "$URL/v1/conversations/$2/messages?limit=${3:-50}"
    ;;
  send)
    curl -sS --fail-with-body -H "$AUTH" -H "Content-Type: application/json" \
      --data-binary "{\"text\":\"$(json_string "$3")\"}" "$URL/v1/conversations/$2/messages"
    ;;
  events)
    # -N: no buffering, print each event as it arrives.
    curl -sS -N --fail-with-body -H "$AUTH" -H "Accept: text/event-stream" "$URL/v1/events"
    ;;
  *)
    echo "usage: $0 list | messages CONV [LIMIT] | send CONV TEXT | events" >&2
    exit 2
    ;;
esac
echo
