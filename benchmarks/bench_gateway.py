"""Gateway overhead per call: ``LiteLLMClient.complete`` (egress guard over a realistic
prompt, provider policy plan, litellm Router, result and cost extraction) plus appending the
``ask`` audit record, against a direct ``litellm.completion`` to the same loopback fake
OpenAI-compatible server with the same messages.

Both paths alternate call by call after a warm-up, so drift in the fake server hits both
alike. Reported: p50/p95 in ms for each path, the p95 difference (the overhead), and the
ratio of the p95s; and, inside the gateway path, the model call through the client
(guard, plan, Router) and the audit append (a SQLite log on disk: its commit is an fsync)
each on their own.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_gateway.py [--calls 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.llm.fake_openai import FakeOpenAIServer
from tests.llm.llm_factories import a1c_series, mixed_record

import clinvault  # noqa: F401  (offline defaults first)
from clinvault.ask.audit_events import AskTrace
from clinvault.audit import AuditLog
from clinvault.llm.egress import EgressGuard
from clinvault.llm.litellm_client import LiteLLMClient
from clinvault.llm.prompt import build_messages
from clinvault.settings import Settings

KEY_ENV = "BENCH_GATEWAY_KEY"
DENY = [f"Person{i} Surname{i}" for i in range(20)] + ["555-201-7788", "1961-04-17", "MRN7731902"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    import litellm  # after clinvault: its offline defaults (no cost-map download) come first

    messages = build_messages("How has her HbA1c changed?", [*a1c_series(12), *mixed_record()])
    with (
        tempfile.TemporaryDirectory(prefix="clinvault-bench-gw-") as folder,
        FakeOpenAIServer(reply="Values listed [1] [2].") as server,
    ):
        llm = {
            "routes": [
                {
                    "name": "local",
                    "model": "openai/fake-model",
                    "api_base": server.base_url,
                    "api_key_env": KEY_ENV,
                    "baa": True,
                    "data_retention": "none",
                    "region": "on-prem",
                }
            ],
            "max_retries": 0,
            "policy": {"require_baa": True, "allowed_retention": ["none"]},
        }
        settings = Settings.load(home=Path(folder), llm=llm)
        client = LiteLLMClient(settings.llm, guard=EgressGuard(), environ={KEY_ENV: "k"})
        audit = AuditLog.open(settings)

        parts: dict[str, list[float]] = {"client call": [], "audit append": []}

        def gateway() -> None:
            started = time.perf_counter()
            result = client.complete(messages, deny_values=DENY)
            called = time.perf_counter()
            trace = AskTrace(audit.new_response_id(), "bench", "TREAT", None, "q")
            trace.record_llm(result)
            audit.append(trace.event("answered", "grounded"))
            parts["client call"].append((called - started) * 1000)
            parts["audit append"].append((time.perf_counter() - called) * 1000)

        def direct() -> None:
            litellm.completion(
                model="openai/fake-model",
                api_base=server.base_url,
                api_key="k",
                messages=messages,
                temperature=0.0,
                max_tokens=512,
                timeout=60.0,
                max_retries=0,
            )

        timings: dict[str, list[float]] = {"gateway": [], "direct": []}
        for n in range(args.calls + 20):
            for name, call in (("gateway", gateway), ("direct", direct)):
                started = time.perf_counter()
                call()
                if n >= 20:
                    timings[name].append((time.perf_counter() - started) * 1000)
        guard_ms = []
        for _ in range(200):
            started = time.perf_counter()
            EgressGuard().check(messages, deny_values=DENY)
            guard_ms.append((time.perf_counter() - started) * 1000)
        audit.close()
    print(f"gateway overhead, {args.calls} calls per path, prompt {len(str(messages))} chars")
    print(f"{'path':<10}{'p50 ms':>10}{'p95 ms':>10}")
    for name, values in timings.items():
        print(f"{name:<10}{percentile(values, 0.5):>10.2f}{percentile(values, 0.95):>10.2f}")
    g95, d95 = percentile(timings["gateway"], 0.95), percentile(timings["direct"], 0.95)
    g50, d50 = percentile(timings["gateway"], 0.5), percentile(timings["direct"], 0.5)
    for name, values in parts.items():
        kept = values[20:]  # the warm-up calls are not counted
        print(f"  {name:<12}{percentile(kept, 0.5):>8.2f}{percentile(kept, 0.95):>10.2f}")
    print(f"added at p50: {g50 - d50:.2f} ms; added at p95: {g95 - d95:.2f} ms")
    print(f"ratio gateway/direct: p50 {g50 / d50:.3f}, p95 {g95 / d95:.3f}")
    print(
        f"egress guard alone: p50 {percentile(guard_ms, 0.5):.3f} ms, p95 {percentile(guard_ms, 0.95):.3f} ms"
    )


if __name__ == "__main__":
    main()
