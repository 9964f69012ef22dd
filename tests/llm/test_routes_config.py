"""Route config: the one-route settings, named routes with fallbacks, the policy's verdicts,
and the shipped config examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.errors import ConfigError
from clinvault.llm.policy import IN_PROCESS_REASON, assess
from clinvault.llm.probe import probe_route
from clinvault.llm.route_plan import route_plan
from clinvault.llm.routes import assess_routes, plan_routes
from clinvault.settings import LLMPolicy, LLMRoute, LLMSettings, Settings
from tests.llm.fake_openai import FakeOpenAIServer

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "llm"


def test_single_model_env_settings_are_a_one_route_config(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINVAULT_LLM__MODEL", "openai/served")
    monkeypatch.setenv("CLINVAULT_LLM__API_BASE", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("CLINVAULT_LLM__API_KEY_ENV", "SOME_KEY")
    [route] = route_plan(Settings.load(home=settings.home).llm)
    assert (route.name, route.model, route.api_base, route.api_key_env) == (
        "default",
        "openai/served",
        "http://127.0.0.1:9/v1",
        "SOME_KEY",
    )
    assert (route.timeout_s, route.max_tokens) == (60.0, 512)  # [llm] defaults filled in


def test_named_routes_in_fallback_order() -> None:
    llm = LLMSettings(
        routes=[
            LLMRoute(name="a", model="openai/a", timeout_s=5),
            LLMRoute(name="b", model="clinvault/evidence"),
        ],
        route="b",
        fallbacks=["a"],
        max_tokens=99,
    )
    plan = route_plan(llm)
    assert [r.name for r in plan] == ["b", "a"]
    assert (plan[1].timeout_s, plan[1].max_tokens) == (5, 99)


@pytest.mark.parametrize(
    ("llm", "problem"),
    [
        ({"routes": [{"name": "a", "model": "openai/a"}], "fallbacks": ["zzz"]}, "fallback 'zzz'"),
        ({"routes": [{"name": "a", "model": "openai/a"}], "route": "b"}, "route 'b'"),
        ({"routes": [{"name": "a", "model": "openai/a"}], "model": "openai/x"}, "either"),
        ({"route": "a"}, "no routes are defined"),
        ({"routes": [{"name": "a", "model": "openai/a"}, {"name": "a", "model": "x/b"}]}, "unique"),
        ({"routes": [{"name": "a", "model": "openai/a"}], "fallbacks": ["a"]}, "appears twice"),
        ({"data_retention": "forever"}, "data_retention"),
        ({"zero_data_retention": True, "data_retention": "30d"}, "contradicts"),
    ],
)
def test_inconsistent_route_config_is_a_config_error(
    settings: Settings, llm: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        Settings.load(home=settings.home, llm=llm)


def test_policy_verdicts_say_why() -> None:
    policy = LLMPolicy(require_baa=True, allowed_retention=["none"], allowed_regions=["eu"])
    vendor = LLMRoute(name="v", model="openai/v", data_retention="30d", region="us")
    status = assess(vendor, policy, in_process=False)
    assert not status.compliant
    assert len(status.reasons) == 3
    assert "baa" in status.explain()
    assert "'30d'" in status.explain()
    assert "'us'" in status.explain()
    ok = LLMRoute(name="h", model="openai/h", baa=True, data_retention="none", region="eu")
    assert assess(ok, policy, in_process=False).compliant
    local_only = LLMPolicy(allow_remote=False, require_baa=True)
    offline = assess(LLMRoute(model="clinvault/evidence"), local_only, in_process=True)
    assert offline.compliant
    assert offline.reasons == (IN_PROCESS_REASON,)


def test_non_compliant_active_route_stops_startup_and_fallbacks_are_excluded() -> None:
    routes = [
        {"name": "vendor", "model": "openai/v", "data_retention": "30d"},
        {"name": "offline", "model": "clinvault/evidence"},
        {"name": "vendor2", "model": "openai/v2", "baa": True, "data_retention": "30d"},
    ]
    policy = {"allowed_retention": ["none"]}
    with pytest.raises(ConfigError, match="'vendor' violates the provider policy: data_retention"):
        plan_routes(LLMSettings(routes=routes, policy=policy))  # type: ignore[arg-type]
    plan = plan_routes(
        LLMSettings(routes=routes, route="offline", fallbacks=["vendor2"], policy=policy)  # type: ignore[arg-type]
    )
    assert [r.name for r in plan.tried] == ["offline"]
    assert [r.name for r in plan.excluded] == ["vendor2"]
    assert [r.name for r in plan.assessed] == ["offline", "vendor2", "vendor"]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_config_examples_parse_and_their_active_route_is_compliant(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, example: Path
) -> None:
    monkeypatch.setenv("CLINVAULT_CONFIG", str(example))
    llm = Settings.load(home=settings.home).llm
    assessed = assess_routes(llm)
    assert assessed[0].compliance.compliant, assessed[0].compliance.explain()
    assert llm.policy != LLMPolicy()  # every example states a policy
    assert any(r.in_process for r in assessed)  # and keeps the offline model as a last resort


def test_examples_cover_the_providers_the_docs_promise() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.toml")} >= {
        "ollama",
        "vllm",
        "azure-openai",
        "openai",
        "hospital-gateway",
    }


def test_hospital_gateway_example_rules_out_the_direct_cloud_route(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINVAULT_CONFIG", str(EXAMPLES / "hospital-gateway.toml"))
    monkeypatch.setenv("HOSPITAL_LLM_GATEWAY_TOKEN", "t")
    plan = plan_routes(Settings.load(home=settings.home).llm)
    assert [r.name for r in plan.tried] == ["hospital-gateway", "offline"]
    [cloud] = plan.excluded
    assert cloud.name == "cloud-direct"
    assert "business associate agreement" in cloud.compliance.explain()


def test_probe_goes_through_the_gateway_to_the_named_route_only() -> None:
    with FakeOpenAIServer(reply="Probe value 42 [1].", model="probe-served") as server:
        llm = LLMSettings(
            routes=[
                LLMRoute(name="offline", model="clinvault/evidence"),
                LLMRoute(
                    name="remote", model="openai/p", api_base=server.base_url, api_key_env="K"
                ),
            ],
        )
        result = probe_route(llm, "remote", environ={"K": "k"})
        assert (result.route, result.served_model, result.text) == (
            "remote",
            "probe-served",
            "Probe value 42 [1].",
        )
        assert len(server.requests) == 1
        with pytest.raises(ConfigError, match="no llm route named 'nope'"):
            probe_route(llm, "nope")
