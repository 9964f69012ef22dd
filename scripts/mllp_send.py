#!/usr/bin/env python3
"""Send the HL7 v2 messages of a file to an MLLP listener and print each ACK's MSA.

    python scripts/mllp_send.py message.hl7 [--host 127.0.0.1] [--port 2575]

Standard library only. Messages are split at each MSH (FHS/BHS/BTS/FTS envelopes dropped),
segments joined with carriage returns. Exit status 0 when every message got AA, 1 otherwise.
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
from pathlib import Path

START, END = b"\x0b", b"\x1c\x0d"


def messages(path: Path) -> list[bytes]:
    text = path.read_bytes().decode("utf-8-sig", "replace")
    found: list[list[str]] = []
    for line in re.split(r"\r\n|\r|\n", text):
        if line.startswith("MSH"):
            found.append([line])
        elif found and line.strip() and line[:3] not in ("BTS", "FTS"):
            found[-1].append(line)
    return [("\r".join(m) + "\r").encode("utf-8") for m in found]


def send(sock: socket.socket, message: bytes) -> bytes:
    sock.sendall(START + message + END)
    reply = b""
    while not reply.endswith(END):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the listener closed the connection before it ACKed")
        reply += chunk
    return reply.strip(START + END)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2575)
    args = parser.parse_args()
    accepted = True
    with socket.create_connection((args.host, args.port), timeout=60) as sock:
        for message in messages(args.file):
            ack = send(sock, message).decode("utf-8", "replace")
            msa = next((s for s in ack.split("\r") if s.startswith("MSA")), "MSA|??")
            err = next((s for s in ack.split("\r") if s.startswith("ERR")), "")
            print(msa, err)
            accepted = accepted and msa.startswith("MSA|AA")
    return 0 if accepted else 1


if __name__ == "__main__":
    sys.exit(main())
