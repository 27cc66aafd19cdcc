"""The ``chatserver faq check`` and ``chatserver faq ask`` commands, as plain functions.

``__main__`` parses the arguments; these functions take them as values and write to
``out``, so tests call them with a StringIO. Exit codes: 0 fine, 1 ``check`` found
problems, 2 ``ask`` could not load a clean FAQ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from chatserver.core.faq import (
    Answer,
    Explanation,
    HandoffRequest,
    NoMatch,
    Suggest,
    decision_to_json,
    lint,
)
from chatserver.faq_files import LoadResult, load_faq_dir


def cmd_check(directory: Path, out: TextIO, *, strict: bool = False) -> int:
    """Validate every FAQ file; print each problem as ``path:line: message``, then the
    matching warnings as ``path:line: warning: ...`` (exit 1 on them only if ``strict``)."""
    result = load_faq_dir(directory)
    for problem in result.problems:
        print(problem, file=out)
    if result.problems:
        print(_summary(result, f"{len(result.problems)} problem(s)"), file=out)
        return 1
    warnings = lint(result.build())
    for entry, message in warnings:
        print(f"{entry.source}: warning: {entry.id}: {message}", file=out)
    verdict = f"OK, {len(warnings)} warning(s)" if warnings else "OK"
    print(_summary(result, verdict), file=out)
    return 1 if strict and warnings else 0


def cmd_ask(
    directory: Path,
    question: str,
    *,
    as_json: bool,
    locale: str | None,
    out: TextIO,
    explain: bool = False,
) -> int:
    """Show what the bot would do with ``question`` (for admins tuning phrasings)."""
    result = load_faq_dir(directory)
    if result.problems:
        for problem in result.problems:
            print(problem, file=out)
        print(_summary(result, "fix the problems above first"), file=out)
        return 2
    index = result.build()
    decision = index.match(question, locale)
    if as_json:
        print(json.dumps(decision_to_json(decision), ensure_ascii=False), file=out)
        return 0
    match decision:
        case Answer(entry=entry, score=score):
            print(f"answer: {entry.id} (score {score:.1f}, {entry.source})", file=out)
            if entry.handoff:
                print("  (this entry hands the conversation to a human)", file=out)
            print(_indent(entry.answer), file=out)
        case Suggest(candidates=candidates):
            print(f"suggest: {len(candidates)} candidate(s)", file=out)
            for c in candidates:
                print(f"  {c.entry.id} (score {c.score:.1f}): {c.entry.questions[0]}", file=out)
        case NoMatch(best=best):
            near = f"; nearest {best.entry.id} at {best.score:.1f}" if best else ""
            print(f"none: no confident match{near}", file=out)
        case HandoffRequest(score=score):
            print(f"handoff: the visitor asks for a human (score {score:.1f})", file=out)
    if explain:
        _print_explanation(index.explain(question, locale), out)
    return 0


def _print_explanation(why: Explanation, out: TextIO) -> None:
    print("why:", file=out)
    script = " (read as transliterated Cyrillic)" if why.script == "translit" else ""
    print(f"  terms{script}:", file=out)
    for term in why.terms:
        similar = ", ".join(f"{t} {s:.2f}" for t, s in term.similar) or "unknown to the FAQ"
        print(f"    {term.term}: {similar}", file=out)
    unknown = ", ".join(f"{loc} {share:.2f}" for loc, share in sorted(why.unknown.items()))
    print(f"  language: {why.locale or '?'}; unknown share: {unknown}", file=out)
    print(f"  handoff score: {why.handoff:.1f}", file=out)
    if why.sentence is not None:
        print(f"  answered for the sentence: {why.sentence!r}", file=out)
    print("  candidates:", file=out)
    for c in why.candidates:
        print(
            f"    {c.scored.entry.id} {c.scored.score:.1f}: recall {c.recall:.2f} of "
            f"{c.phrasing!r}, precision {c.precision:.2f}",
            file=out,
        )
        for item in c.evidence:
            print(f"      {item}", file=out)


def _summary(result: LoadResult, verdict: str) -> str:
    return f"{len(result.entries)} entries in {result.files} files, {verdict}"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
