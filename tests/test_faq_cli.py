"""`chatserver faq check` and `chatserver faq ask`, called as functions."""

from __future__ import annotations

import io
import json
from pathlib import Path

from chatserver.faq_cli import cmd_ask, cmd_check

FAQ_DIR = Path(__file__).resolve().parent.parent / "faq_data"


def run_check(directory: Path) -> tuple[int, str]:
    out = io.StringIO()
    return cmd_check(directory, out), out.getvalue()


def run_ask(question: str, *, as_json: bool = False, locale: str | None = "ru") -> tuple[int, str]:
    out = io.StringIO()
    code = cmd_ask(FAQ_DIR, question, as_json=as_json, locale=locale, out=out)
    return code, out.getvalue()


def test_check_good_dir() -> None:
    code, out = run_check(FAQ_DIR)
    assert code == 0
    assert out.endswith(" files, OK\n")
    assert out.startswith("54 entries in 18 files")


def test_check_bad_dir_prints_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("locale: de\nentries:\n  - id: x\n    questions: [q]\n", encoding="utf-8")
    code, out = run_check(tmp_path)
    assert code == 1
    assert out.splitlines() == [
        f"{bad}:1: unknown locale 'de' (one of: ru, uk, en)",
        f"{bad}:3: entry has no 'answer'",
        "0 entries in 1 files, 2 problem(s)",
    ]


def test_check_missing_dir(tmp_path: Path) -> None:
    code, out = run_check(tmp_path / "missing")
    assert code == 1
    assert "FAQ directory does not exist" in out


def test_ask_json_answer() -> None:
    code, out = run_ask("сколько стоит доставка?", as_json=True)
    assert code == 0
    assert json.loads(out) == {
        "kind": "answer",
        "id": "ru-delivery-cost",
        "score": 100.0,
        "suggestions": [],
    }


def test_ask_json_keeps_cyrillic_readable() -> None:
    _, out = run_ask("доставка", as_json=True)
    data = json.loads(out)
    assert data["kind"] == "suggest"
    assert data["id"] is None
    assert data["score"] == data["suggestions"][0]["score"]
    assert {"ru-delivery-time", "ru-delivery-cost"} <= {s["id"] for s in data["suggestions"]}
    assert all(set(s) == {"id", "score"} for s in data["suggestions"])


def test_ask_json_none_and_handoff() -> None:
    assert json.loads(run_ask("какая погода?", as_json=True)[1])["kind"] == "none"
    assert json.loads(run_ask("позовите оператора", as_json=True)[1]) == {
        "kind": "handoff",
        "id": None,
        "score": 100.0,
        "suggestions": [],
    }


def test_ask_human_forms() -> None:
    code, out = run_ask("How long does delivery take?", locale=None)
    assert code == 0
    assert out.startswith("answer: en-delivery-time (score 100.0, ")
    assert "business days" in out
    _, out = run_ask("доставка")
    assert out.startswith("suggest: ")
    assert "ru-delivery-time" in out
    assert "Сколько идёт доставка?" in out
    assert run_ask("какая погода?")[1].startswith("none: ")
    assert run_ask("оператор")[1].startswith("handoff: ")


def test_ask_refuses_a_broken_dir(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("locale: ru\n", encoding="utf-8")
    out = io.StringIO()
    code = cmd_ask(tmp_path, "доставка", as_json=True, locale=None, out=out)
    assert code == 2
    assert (
        out.getvalue().splitlines()[0]
        == f"{tmp_path / 'x.yaml'}:1: missing 'entries' (a list of questions and answers)"
    )


def test_ask_explain_shows_terms_candidates_and_evidence() -> None:
    out = io.StringIO()
    code = cmd_ask(
        FAQ_DIR, "skolko stoit dostavka", as_json=False, locale="ru", out=out, explain=True
    )
    text = out.getvalue()
    assert code == 0
    assert "terms (read as transliterated Cyrillic):" in text
    assert "ru-delivery-cost" in text
    assert "(phrasing)" in text


def test_check_warns_on_single_phrasing_and_collisions(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "locale: en\nentries:\n"
        "  - id: a\n    questions: [How much is delivery]\n    answer: A\n"
        "  - id: b\n    questions: [How much is delivery, Delivery price]\n    answer: B\n",
        encoding="utf-8",
    )
    code, out = run_check(tmp_path)
    assert code == 0
    assert "warning: a: only one phrasing" in out
    assert "collides with b" in out
    out_io = io.StringIO()
    assert cmd_check(tmp_path, out_io, strict=True) == 1


def test_handoff_phrases_file_extends_the_built_in_list(tmp_path: Path) -> None:
    (tmp_path / "faq.yaml").write_text(
        "locale: ru\nentries:\n  - id: a\n    questions: [Как оплатить, Оплата]\n    answer: A\n",
        encoding="utf-8",
    )
    (tmp_path / "handoff.yaml").write_text(
        "locale: ru\nhandoff_phrases: [позовите старшего смены]\n", encoding="utf-8"
    )
    out = io.StringIO()
    assert cmd_ask(tmp_path, "позовите старшую смену", as_json=True, locale="ru", out=out) == 0
    assert json.loads(out.getvalue())["kind"] == "handoff"


def test_handoff_phrases_are_validated_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "handoff.yaml"
    bad.write_text("locale: ru\nhandoff_phrases:\n  - оператор\n  - [x]\n", encoding="utf-8")
    code, out = run_check(tmp_path)
    assert code == 1
    assert f"{bad}:4: 'handoff_phrases item' must be text" in out
