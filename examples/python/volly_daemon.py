#!/usr/bin/env python3
"""Talks to a running `volly daemon` with the Python standard library only (urllib).

    VOLLY_DAEMON_URL   the daemon's address (default http://127.0.0.1:8787)
    VOLLY_DAEMON_KEY   the local API key, or VOLLY_DAEMON_KEY_FILE: the file holding it

    python3 volly_daemon.py list                   # conversations, one JSON object per line
    python3 volly_daemon.py send CONV TEXT         # send; prints the stored message as JSON
    python3 volly_daemon.py events [--count N]     # follow the SSE stream, one JSON event per line
    python3 volly_daemon.py echo                   # answer every incoming message with "echo: TEXT"
"""

import json
import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("VOLLY_DAEMON_URL", "http://127.0.0.1:8787").rstrip("/")


def api_key():
    key = os.environ.get("VOLLY_DAEMON_KEY")
    if not key and os.environ.get("VOLLY_DAEMON_KEY_FILE"):
        with open(os.environ["VOLLY_DAEMON_KEY_FILE"], encoding="utf-8") as f:
            key = f.readline().strip()
    if not key:
        sys.exit("set VOLLY_DAEMON_KEY or VOLLY_DAEMON_KEY_FILE")
    return key


def request(method, path, body=None):
    """One JSON request; raises RuntimeError with the daemon's {code, message} on an error status."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + api_key())
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.loads(res.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        error = json.loads(err.read().decode("utf-8"))
        raise RuntimeError(f"{err.code} {error['code']}: {error['message']}") from None


def conversations():
    return request("GET", "/v1/conversations")


def send(conversation_id, text, reply_to=None):
    body = {"text": text}
    if reply_to:
        body["replyTo"] = reply_to
    return request("POST", f"/v1/conversations/{conversation_id}/messages", body)


def events(last_event_id=None):
    """Yields each event of GET /v1/events (Server-Sent Events) as a dict, forever."""
    req = urllib.request.Request(URL + "/v1/events")
    req.add_header("Authorization", "Bearer " + api_key())
    req.add_header("Accept", "text/event-stream")
    if last_event_id:
        req.add_header("Last-Event-ID", last_event_id)
    with urllib.request.urlopen(req) as res:
        data = []
        for raw in res:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == ": connected":
                print("connected", file=sys.stderr, flush=True)
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line == "" and data:
                yield json.loads("\n".join(data))
                data = []


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "list":
        for c in conversations():
            print(json.dumps(c))
    elif command == "send" and len(argv) == 4:
        print(json.dumps(send(argv[2], argv[3])))
    elif command == "events":
        count = int(argv[3]) if len(argv) == 4 and argv[2] == "--count" else None
        for n, event in enumerate(events(), start=1):
            print(json.dumps(event), flush=True)
            if count is not None and n >= count:
                break
    elif command == "echo":
        for event in events():
            if event["type"] == "message" and event["direction"] == "in":
                send(event["conversationId"], "echo: " + event["text"], reply_to=event["id"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
