"""`kith sentiment --input FILE.csv --text-column COL`: file mode, no database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kith.cli.app import app


def kith(*args: str):
    return CliRunner().invoke(app, list(args))


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(
        "id,comment\n"
        "1,送餐太慢了，菜都凉了，再也不点了\n"
        '2,"Thầy dạy rất nhiệt tình, dễ hiểu"\n'
        '3,"Terrible service, the worst I\'ve had"\n'
        "4,\n",
        encoding="utf-8",
    )
    return path


def test_file_mode_prints_one_json_object_with_a_result_per_row(tmp_path: Path) -> None:
    # No django_db mark: a query would fail the test, so this proves no database is used.
    result = kith("sentiment", "--input", str(_csv(tmp_path)), "--text-column", "comment", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["results"]
    rows = payload["results"]
    assert [r["row"] for r in rows] == [1, 2, 3, 4]
    assert [r["language"] for r in rows] == ["zh", "vi", "en", "en"]
    assert [r["label"] for r in rows] == ["negative", "positive", "negative", "neutral"]
    assert set(rows[0]) == {"row", "language", "label", "score"}
    assert all(0 <= r["score"] <= 1 for r in rows)


def test_file_mode_with_a_forced_language_and_as_a_table(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    result = kith(
        "sentiment", "--input", str(path), "--text-column", "comment", "--language", "zh", "--json"
    )
    assert result.exit_code == 0, result.output
    assert {r["language"] for r in json.loads(result.stdout)["results"]} == {"zh"}
    table = kith("sentiment", "--input", str(path), "--text-column", "comment")
    assert table.exit_code == 0, table.output
    assert "negative" in table.stdout and "慢" in table.stdout


def test_file_mode_errors_name_the_option(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    missing = kith("sentiment", "--input", str(path), "--text-column", "text", "--json")
    assert missing.exit_code == 2
    assert "--text-column" in missing.stderr and "comment" in missing.stderr
    wrong = kith("sentiment", "--input", str(path), "--text-column", "comment", "--language", "fr")
    assert wrong.exit_code == 2 and "--language" in wrong.stderr
    absent = kith("sentiment", "--input", str(tmp_path / "nope.csv"), "--text-column", "c")
    assert absent.exit_code == 2 and "no such file" in absent.stderr
