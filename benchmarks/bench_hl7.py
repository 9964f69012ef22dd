"""HL7 v2 throughput and MLLP ACK latency, measured side by side on the same messages.

Synthetic ORU^R01 and ADT^A01 messages (``--messages``, distinct patients and orders,
PID/NK1/PV1/OBR/OBX) are:

1. parsed by hl7apy alone (``parse_message``, no validation): the parsing floor;
2. parsed and mapped to FHIR by ``clinvault.interop.hl7v2`` (no vault);
3. taken end to end one at a time by the MLLP message handler: parse -> map -> vault
   (sealed) -> index (hashing embedder), with dedupe and one audit record each; this is
   what the live feed does per message;
4. ingested as one folder by ``clinvault ingest``'s pipeline (one run for all messages);
5. sent over a real MLLP connection at ``--rate`` messages/s: ACK latency p50/p95.

Reported as messages/s and as ratios to hl7apy parsing. Homes live on tmpfs.

    .venv/bin/python benchmarks/bench_hl7.py [--messages 200] [--rate 10] [--latency-messages 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from hl7apy.parser import parse_message as hl7apy_parse  # type: ignore[import-untyped]

import clinvault  # noqa: F401  (offline defaults first)
from clinvault.interop.hl7v2 import Converter
from clinvault.interop.mllp.framing import END, START
from clinvault.interop.mllp.handler import MessageHandler
from clinvault.interop.mllp.server import MllpServer
from clinvault.runtime import Runtime
from clinvault.settings import Settings

TMPFS = Path("/dev/shm")  # noqa: S108  (tmpfs: the Edge shard fsyncs every write)


def message(n: int) -> bytes:
    kind = "ORU^R01" if n % 2 else "ADT^A01"
    segments = [
        f"MSH|^~\\&|LIS|LAB|EHR|HOSP|20240101120000||{kind}|B{n:06d}|P|2.5",
        f"PID|1||{100000 + n}^^^HOSP^MR||PATIENT{n}^ALEX^J||19700101|F|||{n} MAIN ST^^SPRINGFIELD^IL^62701||(217)555-{n % 10000:04d}",
        f"NK1|1|RELATIVE{n}^SAM|SPO^Spouse^HL70063",
        f"PV1|1|I|W1^{n % 50}^A||||1234^WELBY^MARCUS||||||||||||V{n:06d}",
    ]
    if kind == "ORU^R01":
        segments += [
            f"OBR|1|P{n}|F{n}|24323-8^Metabolic panel^LN|||20240101080000|||||||||||||||20240101100000|||F",
            f"OBX|1|NM|2345-7^Glucose^LN||{80 + n % 100}|mg/dL|70-105|N|||F",
            f"OBX|2|NM|2160-0^Creatinine^LN||1.{n % 10}|mg/dL|0.6-1.2|N|||F",
            f"OBX|3|NM|2951-2^Sodium^LN||{135 + n % 8}|mmol/L|135-145|N|||F",
        ]
    else:
        segments.append(f"AL1|1|DA|70618^Penicillin^RXNORM|MO|Hives|2020010{n % 9 + 1}")
    return ("\r".join(segments) + "\r").encode()


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def settings_for(home: Path) -> Settings:
    return Settings.load(
        home=home, index={"embedder": {"backend": "hashing"}, "path": str(home / "index")}
    )


def bench_hl7apy(messages: list[bytes]) -> float:
    texts = [m.decode().strip("\r") for m in messages]
    hl7apy_parse(texts[0], find_groups=False)  # warm-up: hl7apy loads its structure tables
    start = time.perf_counter()
    for text in texts:
        hl7apy_parse(text, find_groups=False)
    return rate(len(texts), time.perf_counter() - start)


def bench_convert(messages: list[bytes]) -> float:
    converter = Converter()
    converter.convert_text(messages[0], "warm-up")
    start = time.perf_counter()
    for data in messages:
        converter.convert_text(data, "bench")
    return rate(len(messages), time.perf_counter() - start)


def bench_handler(messages: list[bytes], root: Path) -> float:
    with Runtime.open(settings_for(root / "handler")) as runtime:
        handler = MessageHandler(runtime)
        handler.handle(message(10**6), "warm-up")
        start = time.perf_counter()
        for data in messages:
            assert handler.handle(data, "bench").code == "AA"
        elapsed = time.perf_counter() - start
        handler.close()
    return rate(len(messages), elapsed)


def bench_folder(messages: list[bytes], root: Path) -> float:
    folder = root / "feed"
    folder.mkdir()
    for n, data in enumerate(messages):
        (folder / f"{n:06d}.hl7").write_bytes(data)
    with Runtime.open(settings_for(root / "folder")) as runtime:
        pipeline = runtime.ingest_pipeline()
        start = time.perf_counter()
        report = pipeline.run([folder])
        elapsed = time.perf_counter() - start
    assert not report.rejected
    return rate(len(messages), elapsed)


async def bench_latency(messages: list[bytes], root: Path, per_second: float) -> list[float]:
    with Runtime.open(settings_for(root / "mllp")) as runtime:
        handler = MessageHandler(runtime)
        server = MllpServer(handler, "127.0.0.1", 0)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(server.serve(stop, ready))
        await ready.wait()
        assert server.bound_port
        reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
        latencies = []
        for data in messages:
            sent = time.perf_counter()
            writer.write(START + data + END)
            await writer.drain()
            await reader.readuntil(END)
            latencies.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(max(0.0, 1 / per_second - (time.perf_counter() - sent)))
        writer.close()
        stop.set()
        await task
        handler.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--latency-messages", type=int, default=50)
    args = parser.parse_args()
    messages = [message(n) for n in range(args.messages)]
    base = TMPFS if TMPFS.is_dir() else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        root = Path(tmp)
        floor = bench_hl7apy(messages)
        mapped = bench_convert(messages)
        handled = bench_handler(messages, root)
        folder = bench_folder(messages, root)
        latency_messages = [message(10**5 + n) for n in range(args.latency_messages)]
        latencies = asyncio.run(bench_latency(latency_messages, root, args.rate))
    quantiles = statistics.quantiles(latencies, n=20)
    result = {
        "messages": args.messages,
        "hl7apy_parse_per_s": round(floor, 1),
        "parse_and_map_per_s": round(mapped, 1),
        "end_to_end_per_message_per_s": round(handled, 2),
        "end_to_end_folder_per_s": round(folder, 2),
        "ratio_parse_and_map_to_hl7apy": round(mapped / floor, 3),
        "ratio_end_to_end_message_to_hl7apy": round(handled / floor, 4),
        "ratio_end_to_end_folder_to_hl7apy": round(folder / floor, 4),
        "mllp_rate_per_s": args.rate,
        "mllp_ack_ms_p50": round(statistics.median(latencies), 1),
        "mllp_ack_ms_p95": round(quantiles[18], 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
