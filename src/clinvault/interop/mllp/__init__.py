"""A live HL7 v2 feed over MLLP (``clinvault mllp serve``).

``framing`` reads and writes MLLP frames (0x0B ... 0x1C 0x0D); ``ack`` builds ACK messages
(MSA, ERR); ``seen`` remembers accepted control ids (keyed hashes) so a duplicate is ACKed
without a second write; ``handler`` turns one frame into an ACK (parse, convert, ingest,
quarantine, audit); ``server`` is the asyncio server (many connections, one ingest at a
time, graceful shutdown, optional TLS).
"""
