"""MLLP framing: a message is ``0x0B`` + bytes + ``0x1C 0x0D``.

Bytes before a start block are junk and dropped. A frame larger than ``max_bytes`` or a
``0x1C`` not followed by ``0x0D`` is a ``FrameError``: the server answers AR and closes the
connection (it cannot know where the next frame starts).
"""

from __future__ import annotations

import asyncio

START = b"\x0b"
END = b"\x1c\x0d"


class FrameError(Exception):
    """The byte stream is not MLLP (oversized frame, bad end block)."""


def frame(message: bytes) -> bytes:
    return START + message + END


async def read_frame(reader: asyncio.StreamReader, max_bytes: int) -> bytes | None:
    """The next message, or ``None`` at end of stream (junk before it is dropped)."""
    while True:
        byte = await reader.read(1)
        if not byte:
            return None
        if byte == START:
            break
    try:
        body = await reader.readuntil(b"\x1c")
    except asyncio.LimitOverrunError:
        raise FrameError("frame exceeds the reader's buffer") from None
    except asyncio.IncompleteReadError:
        return None
    if len(body) - 1 > max_bytes:
        raise FrameError("frame exceeds the maximum message size")
    tail = await reader.read(1)
    if tail != b"\x0d":
        raise FrameError("frame end block 0x1C is not followed by 0x0D")
    return body[:-1]
