"""Fuzzing the MLLP handler and framing (hypothesis): truncated frames, wrong separators,
binary junk, a 10 MB message. Never a crash; an AR/AE (or a closed connection) and
nothing written to the vault but the encrypted quarantine."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinvault.interop.mllp.framing import FrameError, read_frame
from clinvault.interop.mllp.handler import MessageHandler
from clinvault.runtime import Runtime
from tests.interop.mllp.conftest import exchange, msa, oru, running

VALID = oru("F1")
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _mutations() -> st.SearchStrategy[bytes]:
    cut = st.integers(min_value=0, max_value=len(VALID)).map(lambda n: VALID[:n])
    separators = st.sampled_from([b"|", b"^", b"~", b"\\", b"&", b"\r", b"\n", b"#"]).flatmap(
        lambda old: st.sampled_from([b"|", b"^", b"\x00", b"", b"\r\r"]).map(
            lambda new: VALID.replace(old, new)
        )
    )
    return st.one_of(cut, separators, st.binary(max_size=400))


@FUZZ
@given(payload=_mutations())
def test_any_payload_gets_an_ack_and_writes_no_half_message(
    runtime: Runtime, handler: MessageHandler, payload: bytes
) -> None:
    before = len(runtime.vault.patient_tokens())
    handled = handler.handle(payload, "fuzz")
    assert handled.code in ("AA", "AE", "AR")
    assert msa(handled.ack)[0] == handled.code
    after = runtime.vault.patient_tokens()
    if handled.code != "AA":
        assert len(after) == before  # rejected: nothing but the quarantine


@settings(max_examples=80, deadline=None)
@given(stream=st.binary(max_size=300))
def test_framing_never_crashes(stream: bytes) -> None:
    async def read_all() -> None:
        reader = asyncio.StreamReader(limit=2048)
        reader.feed_data(stream)
        reader.feed_eof()
        while True:
            try:
                frame = await read_frame(reader, 1024)
            except FrameError:
                return
            if frame is None:
                return
            assert b"\x1c" not in frame

    asyncio.run(read_all())


def test_a_10_mb_message_is_refused_and_nothing_is_written(
    runtime: Runtime, handler: MessageHandler
) -> None:
    huge = VALID.replace(b"|F\r", b"|F|" + b"X" * (10 << 20) + b"\r")

    async def scenario() -> list[bytes]:
        async with running(handler) as server:
            assert server.bound_port
            try:
                return await exchange(server.bound_port, huge, oru("F2"))
            except (ConnectionResetError, BrokenPipeError):
                return []  # the server answered AR and closed while we were still sending

    acks = asyncio.run(scenario())
    assert len(acks) <= 1
    assert all(msa(a)[0] == "AR" for a in acks)
    assert runtime.vault.patient_tokens() == []
