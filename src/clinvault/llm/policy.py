"""The provider policy: which model routes may receive (pseudonymized) prompts.

``assess`` judges one route's compliance metadata (``baa``, ``data_retention``, ``region``,
``zero_data_retention``) against the ``[llm.policy]`` settings and says why, in words a
compliance officer can read. A route whose model runs inside this process (the offline
evidence model) sends nothing anywhere, so it is compliant by construction whatever the
policy says. Pure: no litellm, no network.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinvault.settings import LLMPolicy, LLMRoute

IN_PROCESS_REASON = "in-process model: nothing leaves this process"


@dataclass(frozen=True, slots=True)
class ComplianceStatus:
    route: str
    compliant: bool
    reasons: tuple[str, ...]
    """Every violated rule when not compliant; what made it compliant otherwise."""

    def explain(self) -> str:
        return "; ".join(self.reasons)


def _violations(route: LLMRoute, policy: LLMPolicy) -> list[str]:
    found = []
    if not policy.allow_remote:
        found.append("policy allows in-process models only (allow_remote = false)")
    if policy.require_baa and not route.baa:
        found.append("no business associate agreement (baa = false; policy requires one)")
    if policy.require_zero_data_retention and not route.zero_data_retention:
        found.append("no zero-data-retention agreement (policy requires one)")
    allowed_retention = policy.allowed_retention
    if allowed_retention is not None and route.data_retention not in allowed_retention:
        found.append(
            f"data_retention {route.data_retention!r} is not allowed "
            f"(allowed: {', '.join(allowed_retention) or 'none listed'})"
        )
    allowed_regions = policy.allowed_regions
    if allowed_regions is not None and route.region not in allowed_regions:
        region = "unset" if route.region is None else repr(route.region)
        found.append(
            f"region {region} is not allowed (allowed: {', '.join(allowed_regions) or 'none listed'})"
        )
    return found


def _compliant_because(route: LLMRoute) -> str:
    facts = [
        "baa" if route.baa else "no baa",
        f"retention {route.data_retention}",
        f"region {route.region or 'unset'}",
    ]
    if route.zero_data_retention:
        facts.append("zero data retention")
    return "meets the policy (" + ", ".join(facts) + ")"


def assess(route: LLMRoute, policy: LLMPolicy, *, in_process: bool) -> ComplianceStatus:
    """Whether ``route`` may be called under ``policy``, and why."""
    if in_process:
        return ComplianceStatus(route.label, True, (IN_PROCESS_REASON,))
    violations = _violations(route, policy)
    if violations:
        return ComplianceStatus(route.label, False, tuple(violations))
    return ComplianceStatus(route.label, True, (_compliant_because(route),))
