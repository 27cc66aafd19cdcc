"""Matching quality on the evaluation set (tests/faq_eval/): the targets that are met.

The figures come from bench/faq_eval.py (see its docstring for the definitions). The
``test`` split is held out: thresholds were tuned on ``dev`` only. Targets asserted
here are the ones the matcher meets on the held-out split and on all questions; the
README's "Matching quality" section lists every figure, including those below target
(top-1 and suggestion recall), which are asserted as regression floors only.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_eval() -> Any:
    spec = importlib.util.spec_from_file_location("faq_eval", ROOT / "bench" / "faq_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["faq_eval"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    faq_eval = _load_eval()
    return faq_eval.report(faq_eval.run(faq_eval.build_index(), faq_eval.load_cases()))  # type: ignore[no-any-return]


def test_the_set_is_as_big_as_promised(report: dict[str, Any]) -> None:
    assert report["all"]["overall"]["questions"] >= 300
    assert report["test"]["overall"]["questions"] >= 90


@pytest.mark.parametrize("split", ["test", "all"])
def test_wrong_answers_at_most_5_percent(report: dict[str, Any], split: str) -> None:
    assert report[split]["overall"]["wrong"] <= 0.05


@pytest.mark.parametrize("split", ["test", "all"])
def test_handoff_requests_recognised_95_percent(report: dict[str, Any], split: str) -> None:
    assert report[split]["overall"]["handoff"] >= 0.95


@pytest.mark.parametrize("split", ["test", "all"])
def test_out_of_scope_questions_are_never_answered(report: dict[str, Any], split: str) -> None:
    assert report[split]["overall"]["quiet"] >= 0.95


@pytest.mark.parametrize("split", ["test", "all"])
def test_regression_floors_below_target(report: dict[str, Any], split: str) -> None:
    # Targets are top-1 >= 0.75 and suggestion recall >= 0.80; not met yet (see README).
    assert report[split]["overall"]["top1"] >= 0.60
    assert report[split]["overall"]["suggest_recall"] >= 0.75
