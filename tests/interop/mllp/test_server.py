"""The MLLP server over real TCP: ACK after sealing, duplicates, rejects, framing, audit."""

from __future__ import annotations

import asyncio

from clinvault.interop.mllp.handler import MessageHandler
from clinvault.runtime import Runtime
from tests.interop.mllp.conftest import err, exchange, msa, oru, running


def _reasons(runtime: Runtime) -> list[str]:
    return [r.reason for r in runtime.audit_log.iter_records()]


def test_a_message_is_acked_after_it_is_sealed_and_indexed(
    runtime: Runtime, handler: MessageHandler
) -> None:
    async def scenario() -> list[bytes]:
        async with running(handler) as server:
            assert server.bound_port
            return await exchange(server.bound_port, oru("C1"))

    (ack,) = asyncio.run(scenario())
    assert msa(ack) == ["AA", "C1"]
    assert ack.decode().startswith("MSH|^~\\&|EHR|HOSP|LIS|LAB|")
    (token,) = runtime.vault.patient_tokens()
    kinds = sorted(r["resourceType"] for r in runtime.vault.patient_resources(token))
    assert kinds == ["DiagnosticReport", "Observation", "Patient"]
    assert list(runtime.index.scroll(token))
    assert _reasons(runtime) == ["hl7-accepted"]
    assert runtime.audit_log.verify().ok


def test_a_duplicate_control_id_is_acked_without_a_second_write(
    runtime: Runtime, handler: MessageHandler
) -> None:
    async def scenario() -> list[bytes]:
        async with running(handler) as server:
            assert server.bound_port
            first = await exchange(server.bound_port, oru("C1"))
            # same control id, different content: acknowledged, not processed again
            again = await exchange(server.bound_port, oru("C1", value=99))
            return first + again

    first, again = asyncio.run(scenario())
    assert msa(first) == msa(again) == ["AA", "C1"]
    (token,) = runtime.vault.patient_tokens()
    (observation,) = [
        r for r in runtime.vault.patient_resources(token) if r["resourceType"] == "Observation"
    ]
    assert observation["valueQuantity"]["value"] == 182
    assert _reasons(runtime) == ["hl7-accepted", "hl7-duplicate"]


def test_unmapped_and_unreadable_messages_are_rejected_and_quarantined(
    runtime: Runtime, handler: MessageHandler
) -> None:
    unmapped = oru("C2").replace(b"ORU^R01", b"BAR^P01")
    no_control_id = oru("C3").replace(b"|C3|", b"||")

    async def scenario() -> list[bytes]:
        async with running(handler) as server:
            assert server.bound_port
            return await exchange(
                server.bound_port, unmapped, no_control_id, b"\x00\xffjunk", oru("C4")
            )

    bar, missing, junk, good = asyncio.run(scenario())
    assert msa(bar) == ["AR", "C2"]
    assert err(bar)[1:3] == ["MSH^1^9", "200^message type BAR P01 is not mapped^HL70357"]
    assert msa(missing)[0] == "AR"
    assert err(missing)[1] == "MSH^1^10"
    assert msa(junk)[0] == "AR"
    assert msa(good) == ["AA", "C4"]  # the connection stayed up
    quarantined = runtime.vault.quarantined()
    assert [q["resource_type"] for q in quarantined] == ["HL7v2", "HL7v2", "HL7v2"]
    assert all("DOE" not in q["message"] for q in quarantined)
    assert len(runtime.vault.patient_tokens()) == 1
    assert _reasons(runtime) == ["hl7-rejected", "hl7-rejected", "hl7-rejected", "hl7-accepted"]


def test_a_broken_frame_gets_ar_and_the_connection_closes(
    runtime: Runtime, handler: MessageHandler
) -> None:
    async def scenario() -> list[bytes]:
        async with running(handler) as server:
            assert server.bound_port
            return await exchange(
                server.bound_port,
                b"\x0b" + oru("C5") + b"\x1cX",
                b"\x0b" + oru("C6") + b"\x1c\x0d",
                raw=True,
            )

    acks = asyncio.run(scenario())
    assert len(acks) == 1  # closed after the AR: the second frame is never read
    assert msa(acks[0])[0] == "AR"
    assert runtime.vault.patient_tokens() == []


def test_an_oversized_frame_is_refused_without_a_write(
    runtime: Runtime, handler: MessageHandler
) -> None:
    big = oru("C7").replace(b"|F\r", b"|F|" + b"A" * 20_000 + b"\r")

    async def scenario() -> list[bytes]:
        async with running(handler, max_bytes=8_192) as server:
            assert server.bound_port
            return await exchange(server.bound_port, big)

    (ack,) = asyncio.run(scenario())
    assert msa(ack)[0] == "AR"
    assert runtime.vault.patient_tokens() == []


def test_many_connections_at_once(runtime: Runtime, handler: MessageHandler) -> None:
    async def scenario() -> list[list[bytes]]:
        async with running(handler) as server:
            port = server.bound_port
            assert port
            batches = [
                [oru(f"K{c}-{i}", mrn=f"2{c}{i:02d}", n=i) for i in range(5)] for c in range(4)
            ]
            return list(await asyncio.gather(*(exchange(port, *batch) for batch in batches)))

    results = asyncio.run(scenario())
    assert [[msa(a)[0] for a in acks] for acks in results] == [["AA"] * 5] * 4
    assert len(runtime.vault.patient_tokens()) == 20
    assert runtime.audit_log.verify().ok


def test_a40_merge_audits_both_patients(runtime: Runtime, handler: MessageHandler) -> None:
    a40 = (
        b"MSH|^~\\&|ADT|HOSP|EHR|HOSP|20240101120000||ADT^A40|M40|P|2.5\r"
        b"PID|1||1001^^^HOSP^MR||DOE^JANE\rMRG|1002^^^HOSP^MR\r"
    )

    async def scenario() -> list[bytes]:
        async with running(handler) as server:
            assert server.bound_port
            return await exchange(server.bound_port, a40)

    (ack,) = asyncio.run(scenario())
    assert msa(ack) == ["AA", "M40"]
    records = list(runtime.audit_log.iter_records())
    assert [r.reason for r in records] == ["hl7-accepted", "hl7-merged"]
    assert records[0].patient != records[1].patient
    # the survivor keeps the only vault record; the merged id resolves to it
    assert runtime.vault.patient_tokens() == [records[0].patient]
    assert runtime.vault.find_patient("MRN", "1001") == [records[0].patient]
