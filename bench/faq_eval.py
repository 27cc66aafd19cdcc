"""FAQ matching quality on the evaluation set in tests/faq_eval/ (see its questions.yaml).

    .venv/bin/python bench/faq_eval.py             # JSON figures: dev, test, all x language
    .venv/bin/python bench/faq_eval.py --misses    # also list the *dev* misses on stderr
    .venv/bin/python bench/faq_eval.py --split dev # only the dev figures (while tuning)

Figures, per split (dev / test / all) and per language (the question's locale hint):

* ``top1``: in-scope questions answered directly with the expected entry;
* ``wrong``: questions answered wrongly, as a share of *all* questions: an answer with
  another entry (another language's included), an answer to an out-of-scope question or
  to a request for a person, and a handoff nobody asked for;
* ``suggest_recall``: of the in-scope questions that got suggestions, the share whose
  expected entry is among them (null when none got suggestions);
* ``handoff``: requests for a person recognised as such;
* ``quiet``: out-of-scope questions that got neither an answer nor a handoff.

Misses are listed for the dev split only: the test split is held out, and looking at
its failures while tuning would make it a second dev split.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chatserver.core.faq import Answer, FaqIndex, HandoffRequest, Suggest  # noqa: E402
from chatserver.faq_files import load_faq_dir  # noqa: E402

EVAL_DIR = ROOT / "tests" / "faq_eval"
LANGUAGES = ("ru", "uk", "en")
SPLITS = ("dev", "test", "all")


@dataclass(frozen=True)
class Case:
    text: str
    locale: str
    expected: str  # entry id | "none" | "handoff"
    split: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    kind: str
    answered: str | None
    suggested: tuple[str, ...]

    @property
    def in_scope(self) -> bool:
        return self.case.expected not in ("none", "handoff")

    @property
    def right(self) -> bool:
        return self.answered == self.case.expected

    @property
    def wrong(self) -> bool:
        if self.kind == "answer":
            return self.answered != self.case.expected
        return self.kind == "handoff" and self.case.expected != "handoff"


def load_cases(path: Path = EVAL_DIR / "questions.yaml") -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Case(str(q["text"]), q["locale"], q["expected"], q["split"]) for q in data["questions"]]


def build_index(directory: Path = EVAL_DIR / "faq") -> FaqIndex:
    result = load_faq_dir(directory)
    if result.problems:
        raise SystemExit("\n".join(str(p) for p in result.problems))
    return result.build()


def run(index: FaqIndex, cases: list[Case]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        if case.expected not in ("none", "handoff") and index.get(case.expected) is None:
            raise SystemExit(f"unknown expected entry {case.expected!r} for {case.text!r}")
        decision = index.match(case.text, case.locale)
        answered = decision.entry.id if isinstance(decision, Answer) else None
        suggested = (
            tuple(c.entry.id for c in decision.candidates) if isinstance(decision, Suggest) else ()
        )
        kind = "handoff" if isinstance(decision, HandoffRequest) else decision.kind
        outcomes.append(Outcome(case, kind, answered, suggested))
    return outcomes


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def figures(outcomes: list[Outcome]) -> dict[str, Any]:
    in_scope = [o for o in outcomes if o.in_scope]
    suggested = [o for o in in_scope if o.kind == "suggest"]
    handoff = [o for o in outcomes if o.case.expected == "handoff"]
    out_of_scope = [o for o in outcomes if o.case.expected == "none"]
    return {
        "questions": len(outcomes),
        "in_scope": len(in_scope),
        "top1": _share(sum(o.right for o in in_scope), len(in_scope)),
        "wrong": _share(sum(o.wrong for o in outcomes), len(outcomes)),
        "suggested": len(suggested),
        "suggest_recall": _share(
            sum(o.case.expected in o.suggested for o in suggested), len(suggested)
        ),
        "handoff": _share(sum(o.kind == "handoff" for o in handoff), len(handoff)),
        "quiet": _share(
            sum(o.kind in ("none", "suggest") for o in out_of_scope), len(out_of_scope)
        ),
    }


def report(outcomes: list[Outcome], splits: tuple[str, ...] = SPLITS) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in splits:
        chosen = [o for o in outcomes if split == "all" or o.case.split == split]
        out[split] = {"overall": figures(chosen)}
        for lang in LANGUAGES:
            out[split][lang] = figures([o for o in chosen if o.case.locale == lang])
    return out


def describe(o: Outcome) -> str:
    got = o.answered or (",".join(o.suggested) if o.suggested else "") or "-"
    return f"{o.case.locale} {o.case.expected:<22} got {o.kind:<7} {got:<50} {o.case.text}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list dev-split misses on stderr")
    parser.add_argument(
        "--split", choices=SPLITS, help="report this split only (tune with dev: test is held out)"
    )
    args = parser.parse_args(argv)
    outcomes = run(build_index(), load_cases())
    if args.misses:
        for o in outcomes:
            if o.case.split == "dev" and not (
                o.right
                or (o.case.expected == "handoff" and o.kind == "handoff")
                or (o.case.expected == "none" and o.kind == "none")
            ):
                print(describe(o), file=sys.stderr)
    print(json.dumps(report(outcomes, (args.split,) if args.split else SPLITS), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
