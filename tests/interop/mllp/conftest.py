from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from clinvault.interop.mllp.framing import END, START
from clinvault.interop.mllp.handler import MessageHandler
from clinvault.interop.mllp.server import MllpServer
from clinvault.runtime import Runtime
from clinvault.settings import Settings

PID = "PID|1||{mrn}^^^HOSP^MR||DOE{n}^JANE||19800102|F|||12 MAIN ST^^SPRINGFIELD^IL^62701"


def oru(control: str, mrn: str = "1001", value: int = 182, n: int = 0) -> bytes:
    segments = [
        f"MSH|^~\\&|LIS|LAB|EHR|HOSP|20240101120000||ORU^R01|{control}|P|2.5",
        PID.format(mrn=mrn, n=n),
        f"OBR|1|PL{control}|FL{control}|24323-8^Metabolic panel^LN|||20240101080000|||||||||||||||20240101100000|||F",
        f"OBX|1|NM|2345-7^Glucose^LN||{value}|mg/dL|70-105|H|||F",
    ]
    return ("\r".join(segments) + "\r").encode()


@pytest.fixture
def fast(settings: Settings) -> Settings:
    embedder = settings.index.embedder.model_copy(update={"backend": "hashing"})
    return settings.model_copy(
        update={
            "index": settings.index.model_copy(update={"embedder": embedder}),
            "ingest": settings.ingest.model_copy(update={"detect_phi": False}),
        }
    )


@pytest.fixture
def runtime(fast: Settings) -> Iterator[Runtime]:
    with Runtime.open(fast) as opened:
        yield opened


@pytest.fixture
def handler(runtime: Runtime) -> Iterator[MessageHandler]:
    made = MessageHandler(runtime)
    yield made
    made.close()


@asynccontextmanager
async def running(handler: MessageHandler, max_bytes: int = 1 << 20) -> AsyncIterator[MllpServer]:
    server = MllpServer(handler, "127.0.0.1", 0, max_bytes)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(server.serve(stop, ready))
    await ready.wait()
    try:
        yield server
    finally:
        stop.set()
        await task


async def exchange(port: int, *payloads: bytes, raw: bool = False) -> list[bytes]:
    """Send each payload (framed unless ``raw``) and read one ACK for each; stops at EOF."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    acks = []
    try:
        for payload in payloads:
            writer.write(payload if raw else START + payload + END)
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.readuntil(END), 30)
            except asyncio.IncompleteReadError:
                break
            acks.append(data.strip(START + END))
    finally:
        writer.close()
    return acks


def msa(ack: bytes) -> list[str]:
    segment = next(s for s in ack.decode().split("\r") if s.startswith("MSA"))
    return segment.split("|")[1:3]


def err(ack: bytes) -> list[str]:
    segment = next((s for s in ack.decode().split("\r") if s.startswith("ERR")), "")
    return segment.split("|")[1:5]
