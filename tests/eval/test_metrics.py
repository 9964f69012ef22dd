"""Every metric on small hand-computed cases."""

from __future__ import annotations

import random

import pytest

from clinvault.eval.compare import compare_overall
from clinvault.eval.dataset import EvalItem
from clinvault.eval.metrics.aggregate import aggregate
from clinvault.eval.metrics.citations import (
    citation_precision,
    citation_recall,
    cited_sentence_share,
)
from clinvault.eval.metrics.correctness import fact_correct, list_overlap
from clinvault.eval.metrics.faithfulness import faithfulness, unsupported_claims
from clinvault.eval.metrics.latency import percentile
from clinvault.eval.metrics.privacy import identifier_matcher, leak_rate, leaked_kinds
from clinvault.eval.metrics.retrieval import ndcg_at_k, recall_at_k, reciprocal_rank
from clinvault.eval.metrics.scoring import score_item
from clinvault.eval.outcome import ItemOutcome
from clinvault.eval.slices import SliceSettings, bootstrap_ci, largest_gaps, slice_table
from clinvault.vault.identifiers import KnownValue

GOLD = {"Observation/a", "Observation/b"}


def test_retrieval_hand_computed() -> None:
    ranked = ["Observation/x", "Observation/a", "Observation/a", "Observation/y", "Observation/b"]
    assert recall_at_k(ranked, GOLD, 2) == 0.5
    assert recall_at_k(ranked, GOLD, 4) == 1.0  # the repeated chunk of a counts once
    assert reciprocal_rank(ranked, GOLD) == 0.5
    # relevant at ranks 2 and 4: (1/log2(3) + 1/log2(5)) / (1 + 1/log2(3))
    assert ndcg_at_k(ranked, GOLD, 4) == pytest.approx((0.63093 + 0.43068) / 1.63093, abs=1e-4)
    assert recall_at_k(ranked, set(), 4) is None


def test_broken_retriever_returning_another_resource_scores_zero() -> None:
    assert recall_at_k(["Observation/z"], GOLD, 8) == 0.0
    assert reciprocal_rank(["Observation/z"], GOLD) == 0.0
    assert ndcg_at_k(["Observation/z"], GOLD, 8) == 0.0


def test_citation_precision_recall_and_coverage() -> None:
    assert citation_precision(["Observation/a", "Observation/z"], GOLD) == 0.5
    assert citation_recall(["Observation/a", "Observation/z"], GOLD) == 0.5
    assert citation_precision([], GOLD) is None
    answer = "HbA1c was 7.1 % [1]. Creatinine 0.9 mg/dL [2]. It rose."
    assert cited_sentence_share(answer) == pytest.approx(2 / 3)
    quoted = "Note: Walks daily. Uses a cane outdoors. [1]"
    assert cited_sentence_share(quoted) == 1.0
    assert cited_sentence_share("") is None


def test_fact_correctness_normalizes_value_unit_and_date() -> None:
    answer = "The latest HbA1c was 7.10 % on May 1, 2024 [1]."
    assert fact_correct(answer, ["7.1"], "%", ["2024-05-01"]) == 1.0
    assert fact_correct("HbA1c 7.1 % on 05/01/2024 [1]", ["7.1"], "%", ["2024-05-01"]) == 1.0
    assert fact_correct(answer, ["7.2"], "%", ["2024-05-01"]) == 0.0
    assert fact_correct(answer, ["7.1"], "mmol/L", []) == 0.0
    assert fact_correct(answer, ["7.1"], "%", ["2024-05-02"]) == 0.0
    assert fact_correct("Temperature 37 Cel", ["37"], "Cel", []) == 1.0
    assert fact_correct(answer, [], None, []) is None


def test_a_recorded_value_may_be_stated_rounded_but_not_to_a_whole_number() -> None:
    gold = ["7.56446"]
    assert fact_correct("HbA1c = 7.56 % [1]", gold, "%", []) == 1.0
    assert fact_correct("HbA1c = 7.6 % [1]", gold, "%", []) == 1.0
    assert fact_correct("HbA1c = 8 % [1]", gold, "%", []) == 0.0
    assert fact_correct("HbA1c = 7.57 % [1]", ["7.565"], "%", []) == 1.0
    assert fact_correct("HbA1c = 7.55 % [1]", gold, "%", []) == 0.0
    assert fact_correct("Weight 80 kg [1]", ["80.4"], "kg", []) == 0.0
    assert fact_correct("Weight 80.0 kg [1]", ["80"], "kg", []) == 1.0


def test_list_overlap() -> None:
    answer = "Active:\n- Asthma [1]\n- Hypertension [2]\n- Broken arm [3]"
    recall, precision = list_overlap(answer, ["Asthma", "Hypertension", "Diabetes mellitus"])
    assert recall == pytest.approx(2 / 3)
    assert precision == pytest.approx(2 / 3)


def test_model_that_invents_numbers_is_unfaithful() -> None:
    evidence = ["Observation: HbA1c = 7.1 % on 2024-05-01."]
    assert faithfulness("HbA1c was 7.1 % on 2024-05-01 [1].", evidence) == 1.0
    assert faithfulness("HbA1c was 8.4 % on 2024-05-01 [1].", evidence) == 0.0
    invented = unsupported_claims("HbA1c 8.4 % on 2024-06-01 [1]", evidence)
    assert [str(n) for n in invented.numbers] == ["8.4"]
    assert invented.dates == ("2024-06-01",)
    assert faithfulness("No values here [1].", evidence) is None


def test_privacy_leaks_report_kinds_never_values() -> None:
    matcher = identifier_matcher(
        [
            KnownValue("NAME", "Mariam El-Amin"),
            KnownValue("PHONE", "(323) 555-0119"),
            KnownValue("NAME_PART", "Li"),
        ]
    )
    assert leaked_kinds(matcher, "Call 323-555-0119 for [NAME-1A2B3C4D]") == ["PHONE"]
    assert leaked_kinds(matcher, "seen by mariam el-amin") == ["NAME"]
    assert leaked_kinds(matcher, "Li is short and not checked") == []
    assert leak_rate(matcher, ["clean", "Mariam El-Amin here"]) == 0.5
    assert leak_rate(matcher, []) is None


def test_latency_percentiles_nearest_rank() -> None:
    samples = [float(v) for v in range(1, 21)]
    assert percentile(samples, 50) == 10.0
    assert percentile(samples, 95) == 19.0
    assert percentile([], 50) is None


def _item(expect: str = "answer", asker: str = "clinician", **gold: object) -> EvalItem:
    return EvalItem.from_json(
        {
            "id": "i",
            "category": "latest-lab",
            "patient": "Patient/p",
            "question": "q",
            "expect": expect,
            "asker": asker,
            "gold": gold,
        }
    )


def test_scoring_unmeasured_stays_none_and_abstention() -> None:
    item = _item(values=["7.1"], unit="%", resources=["Observation/a"])
    outcome = ItemOutcome(
        "i",
        "answered",
        answer="7.1 % [1]",
        retrieved=("Observation/a",),
        cited=("Observation/a",),
        cited_evidence=("7.1 %",),
        prompt_leak_kinds=(),
    )
    scores = score_item(item, outcome)
    assert scores["answer_correct"] == 1.0
    assert scores["faithfulness"] == 1.0
    assert scores["retrieval_recall_at_k"] == 1.0
    assert scores["abstention_accuracy"] is None
    assert scores["output_leak_rate"] is None
    assert scores["prompt_leak_rate"] == 0.0
    abstain = score_item(_item("abstain"), ItemOutcome("i", "not-answerable"))
    assert abstain["abstention_accuracy"] == 1.0
    wrong = score_item(_item("abstain"), ItemOutcome("i", "answered", answer="Blood type O [1]"))
    assert wrong["abstention_accuracy"] == 0.0
    refused = score_item(_item("refuse", "other-clinician"), ItemOutcome("i", "answered"))
    assert refused["authorization_pass"] == 0.0
    assert aggregate([scores, abstain], ["abstention_accuracy", "list_f1"]) == {
        "abstention_accuracy": 1.0,
        "list_f1": None,
    }


def test_bootstrap_interval_contains_the_mean() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    low, high = bootstrap_ci(values, random.Random(1), 500) or (0, 0)
    assert low <= sum(values) / len(values) <= high
    assert low < high
    assert bootstrap_ci([], random.Random(1), 10) is None


def test_slices_flag_the_largest_gap() -> None:
    items, scores = [], []
    for n in range(8):
        sex = "female" if n < 4 else "male"
        items.append(EvalItem(f"i{n}", "c", "Patient/p", "q", demographics={"sex": sex}))
        scores.append({"answer_correct": 1.0 if sex == "female" else (1.0 if n == 4 else 0.0)})
    settings = SliceSettings(bootstrap=200, gap_threshold=0.5)
    table = slice_table(items, scores, ["answer_correct"], settings)
    assert table["sex"]["female"]["answer_correct"]["value"] == 1.0
    assert table["sex"]["male"]["answer_correct"]["value"] == 0.25
    assert table["race"]["unknown"]["answer_correct"]["n"] == 8
    gaps = largest_gaps(table, ["answer_correct"], settings)
    assert gaps[0] == {
        "dimension": "sex",
        "metric": "answer_correct",
        "gap": 0.75,
        "best": "female",
        "worst": "male",
        "flagged": True,
    }
    assert not largest_gaps(table, ["answer_correct"], SliceSettings(gap_threshold=0.8))[0][
        "flagged"
    ]


def test_compare_gate() -> None:
    baseline = {
        "answer_correct": 0.9,
        "prompt_leak_rate": 0.0,
        "faithfulness": 1.0,
        "latency_p95_ms": 100.0,
        "list_f1": None,
    }
    same = compare_overall(baseline, dict(baseline, answer_correct=0.885))
    assert not any(c.regressed for c in same)
    worse = {
        "answer_correct": 0.8,
        "prompt_leak_rate": 0.05,
        "faithfulness": None,
        "latency_p95_ms": 900.0,
        "list_f1": 0.1,
    }
    regressed = {c.metric for c in compare_overall(baseline, worse) if c.regressed}
    assert regressed == {"answer_correct", "prompt_leak_rate", "faithfulness"}


def _family_item(category: str, expect: str, items: tuple[str, ...] = ()) -> EvalItem:
    from clinvault.eval.dataset import Gold

    return EvalItem(
        id="f",
        category=category,
        patient="Patient/p",
        question="q",
        expect=expect,  # type: ignore[arg-type]
        gold=Gold(items=items),
    )


def test_absence_and_negation_scores() -> None:
    absent = "No record of stroke in the provided records (searched ...)."
    cited_absent = absent.removesuffix(".") + ". Notes state its absence:\n- Note: No stroke. [1]"
    for answer, status in ((absent, "not-answerable"), (cited_absent, "answered")):
        scores = score_item(
            _family_item("negation", "abstain"), ItemOutcome("f", status, answer=answer)
        )
        assert scores["absence_accuracy"] == 1.0
        assert scores["negated_reported_rate"] == 0.0
        assert scores["abstention_accuracy"] is None
    reported = score_item(
        _family_item("negation", "abstain"),
        ItemOutcome("f", "answered", answer="Matching records:\n- Note: denies chest pain [1]"),
    )
    assert reported["negated_reported_rate"] == 1.0
    assert reported["absence_accuracy"] == 0.0
    present = _family_item("absence", "answer", ("Hypertension",))
    named = score_item(present, ItemOutcome("f", "answered", answer="- Hypertension [1]"))
    assert named["absence_accuracy"] == 1.0
    denied = score_item(present, ItemOutcome("f", "not-answerable", answer=absent))
    assert denied["absence_accuracy"] == 0.0


def test_a_family_missing_from_the_candidate_regresses() -> None:
    from clinvault.eval.compare import compare_reports

    base = {
        "overall": {"answer_correct": 0.9},
        "families": {"absence": {"n": 2, "metrics": {"absence_accuracy": 1.0}}},
    }
    same = compare_reports(base, base)
    assert not [c for c in same if c.regressed]
    lower = {
        "overall": {"answer_correct": 0.9},
        "families": {"absence": {"n": 2, "metrics": {"absence_accuracy": 0.5}}},
    }
    assert [c.metric for c in compare_reports(base, lower) if c.regressed] == [
        "absence/absence_accuracy"
    ]
    gone = {"overall": {"answer_correct": 0.9}}
    assert [c.metric for c in compare_reports(base, gone) if c.regressed] == [
        "absence/absence_accuracy"
    ]


def test_rank_order_is_gated_overall_not_per_family() -> None:
    from clinvault.eval.compare import compare_reports

    def report(mrr: float, family_mrr: float, accuracy: float) -> dict[str, object]:
        family = {"retrieval_mrr": family_mrr, "absence_accuracy": accuracy}
        return {"overall": {"retrieval_mrr": mrr},
                "families": {"absence": {"n": 9, "metrics": family}}}  # fmt: skip

    base = report(0.9, 0.83, 1.0)
    swapped = compare_reports(base, report(0.9, 0.67, 1.0))
    assert not [c for c in swapped if c.regressed]
    assert "absence/retrieval_mrr" in [c.metric for c in swapped]  # still reported
    assert [c.metric for c in compare_reports(base, report(0.85, 0.83, 0.8)) if c.regressed] == [
        "retrieval_mrr",
        "absence/absence_accuracy",
    ]


def test_a_nothing_recorded_part_is_not_an_imprecise_list_line() -> None:
    answer = (
        "Part one (meds):\nNo record of meds in the provided records (searched ...).\n"
        "Part two (allergies):\nMatching records:\n- Latex allergy [1]"
    )
    assert list_overlap(answer, ["Latex allergy"]) == (1.0, 1.0)
