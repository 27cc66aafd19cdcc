"""Matching quality on the evaluation set (tests/faq_eval/): the issue's targets where
they are met, regression floors (marked) where they are not yet.

The figures come from bench/faq_eval.py (see its docstring for the definitions). The
``test`` split is held out: thresholds were tuned on ``dev`` only. A batch of 245
questions written blind (see questions.yaml) showed the first split flattered the
matcher; half of that batch is now dev, half held out, and so for the three blind
batches written since. The README's "Matching quality"
section lists every figure. Speed targets are measured by bench/faq_speed.py, never
asserted in tests.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Floors below a target: the held-out figure (rounded down to 0.01), so that a change can
# only raise them; a ceiling above one for wrong answers (rounded up). Targets: top-1
# 0.75, wrong at most 0.05, handoff 0.95, quiet 0.95. History (README "Matching
# quality"): after the first blind batch 0.69/0.93/0.91; a second blind batch brought
# them to 0.63/0.93/0.89; the fifth round (core/topics.py) to 0.69/0.96/0.85, when
# handoff met its target. A third blind batch (session 4, 300 questions, half held out)
# is harder: with the sixth round the held-out split (541 questions) stood at 0.63
# top-1, 0.88 handoff, 0.83 quiet and 4.8% wrong. A fourth blind batch (session 5, 360
# questions, 75 of them requests for a person and 75 out of scope) took the held-out
# split (724) to 0.64/0.86/0.76 and 7.2% wrong: wrong answers are over their limit.
# The seventh round (question sentences, other companies' services, products, handoff
# concepts) stands at 0.635 top-1, 0.90 handoff, 0.81 quiet and 6.6% wrong. A fifth
# blind batch (session 6, 360 questions) took the held-out split (902) to 0.61/0.82/0.80
# and 7.2% wrong; the eighth round (handoff concepts, other trades, synonyms) stands at
# 0.625 top-1, 0.908 handoff, 0.815 quiet and 6.5% wrong. A sixth blind batch (session
# 7, 360 questions) took the held-out split (1,081) to 0.616/0.884/0.823 and 6.9% wrong;
# the ninth round (a shop thesaurus, shop words, handoff words) stands at 0.673 top-1,
# 0.89 handoff, 0.817 quiet and 6.5% wrong. Session 8 added 1,058 blind questions as
# training data only (all dev: the held-out split is the same 1,081); the tenth round
# (handoff read in sentences and clauses, places in general, the wider world as another
# topic) stands at 0.689 top-1, 0.909 handoff, 0.833 quiet and 5.6% wrong held out.
# The training batch is harder than the rest, so "all" (0.668 top-1) sets that floor.
# Session 9 added an eighth blind batch (336 new questions, 179 of them held out: the
# held-out split is now 1,260) and 295 English training questions (dev); on it session
# 8's code stood at 0.673 top-1, 0.891 handoff, 0.835 quiet, 5.8% wrong held out; the
# eleventh round (English requests for a person, relatives as no other topic, common
# English nouns) at 0.675, 0.931, 0.835 and 6.0% (all: 0.671, 0.949, 0.856, 5.1%).
# Session 10 added a ninth blind batch (320 new, 152 held out: the held-out split is now
# 1,412); on it session 9's code stands at 0.684 top-1, 0.922 handoff, 0.843 quiet and
# 5.9% wrong: handoff is lower on the batch's requests (83% on the whole batch). The
# twelfth round (requests for a person from a blind training batch, other companies'
# names and other trades' goods, a question naming another company gets suggestions)
# stands at 0.682 top-1, 0.965 handoff (English 0.944), 0.879 quiet and 4.96% wrong:
# the wrong-answer and overall handoff targets are met.
# Session 11 added a tenth blind batch (305 new, 150 held out: the held-out split is now
# 1,562); on it session 10's code stands at 0.684 top-1, 0.970 handoff (English 0.949),
# 0.878 quiet and 5.1% wrong. The thirteenth round (a blind batch of requests and near
# misses: other companies' support, calls in the past, for whom, idioms) stands at
# 0.685, 0.973 (English 0.962), 0.882 and 4.99% wrong: handoff meets its target in
# every language; wrong answers are at the target with no margin. The fourteenth round
# (session 12: an entry borrows its translations' phrasings, an entry that explains the
# question is answered from 40, a common English word is no typo) stands at 0.697
# top-1 (711 of 1,020), 0.973 handoff, 0.882 quiet and 4.99% wrong (78 of 1,562);
# suggestion recall 0.86 -> 0.89. The fifteenth round (session 13: multi-word expressions
# read as the word they mean, other companies' two-word names as one) stands at 0.721
# top-1 (735 of 1,020), 0.973 handoff, 0.892 quiet and 4.48% wrong (70 of 1,562).
# The sixteenth round (session 14: products as goods, the story around a question
# weighing half) stands at 0.748 top-1 (763), 0.973, 0.900 and 4.23% wrong (66). The
# seventeenth (session 15: shop vocabulary, words negated in one piece) at 0.755 top-1
# (770 of 1,020), 0.973, 0.900 and 4.2% wrong (66): every target is met, and top-1 is
# now held to it.
TOP1_FLOOR = 0.75  # the target
HANDOFF_FLOOR = 0.97
HANDOFF_LANGUAGE_FLOOR = 0.95  # the target, in every language (held out: en 0.962, uk 0.963)
QUIET_FLOOR = 0.87
WRONG_CEILING = 0.05  # the target


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
def test_wrong_answers_under_their_ceiling(report: dict[str, Any], split: str) -> None:
    assert report[split]["overall"]["wrong"] <= WRONG_CEILING


@pytest.mark.parametrize("split", ["test", "all"])
def test_handoff_requests_recognised(report: dict[str, Any], split: str) -> None:
    assert report[split]["overall"]["handoff"] >= HANDOFF_FLOOR


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_handoff_requests_recognised_in_every_language(
    report: dict[str, Any], language: str
) -> None:
    assert report["test"][language]["handoff"] >= HANDOFF_LANGUAGE_FLOOR


@pytest.mark.parametrize("split", ["test", "all"])
def test_out_of_scope_questions_are_never_answered(report: dict[str, Any], split: str) -> None:
    assert report[split]["overall"]["quiet"] >= QUIET_FLOOR


@pytest.mark.parametrize("split", ["test", "all"])
def test_top1_at_its_floor(report: dict[str, Any], split: str) -> None:
    assert report[split]["overall"]["top1"] >= TOP1_FLOOR


def test_suggestion_recall(report: dict[str, Any]) -> None:
    assert report["all"]["overall"]["suggest_recall"] >= 0.80
    assert report["test"]["overall"]["suggest_recall"] >= 0.80
