"""Company duplicates: the name, street and city keys, the batch model on generated business
listings (tests/intake/listings.py; tuned on seed "dev", measured here on other seeds) and the
on-entry check."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kith.cli.app import app
from kith.intake.company_names import city_key, company_key, street_key, street_number_key
from kith.intake.dedupe import company_duplicates_find
from kith.intake.matching import dedupe, records_from_columns
from tests.factories import make_company
from tests.intake.listings import listings


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The River Green Plumbing, Co.", "River Plumbing Green LLC"),
        ("Acme Widgets Inc.", "ACME WIDGETS"),
        ("Smith & Sons Ltd", "smith and sons limited"),
        ("Müller GmbH", "Muller"),
        ("Công ty TNHH Sao Mai", "Sao Mai Co., Ltd"),
        ("CÔNG TY TNHH SAO MAI", "Cty TNHH Sao Mai"),
        ("Joe's Diner", "Joes Diner"),
        ("Pacific Coast, The", "The Pacific Coast"),
        ("Intl Trade Bros. Corp.", "International Trade Brothers"),
    ],
)
def test_legal_forms_the_and_word_order_do_not_matter(a, b):
    assert company_key(a) == company_key(b) != ""


def test_chinese_names_lose_their_legal_form_and_their_city():
    assert company_key("上海长城贸易有限公司", city="上海") == "长城贸易"
    assert company_key("上海市长城贸易有限公司", city="上海市") == "长城贸易"
    assert company_key("长城贸易公司") == "长城贸易"


def test_a_name_that_is_only_a_legal_form_is_kept():
    assert company_key("The Company") == "company the"


def test_streets_spell_out_abbreviations_and_drop_the_unit():
    assert street_key("1148 N. Ventura Blvd., Suite 200") == "north ventura boulevard"
    assert street_key("1148 North Ventura Boulevard #200") == "north ventura boulevard"
    assert street_key("1148 N Ventura Blvd Ste. 200") == "north ventura boulevard"
    assert street_number_key("1148 N. Ventura Blvd.") == "1148"
    assert street_key("Số 75 đường Lê Lợi") == street_key("75 Le Loi") == "le loi"
    assert (street_key("淮海路779号"), street_number_key("淮海路779号")) == ("淮海路", "779")
    assert city_key("TP. Hồ Chí Minh") == city_key("Ho Chi Minh") == "ho chi minh"
    assert city_key("上海市") == "上海"


def _scores(seed: str, entities: int) -> tuple[float, float, int]:
    header, rows, truth = listings(seed, entities)
    records = records_from_columns(header, rows, id_column="id")
    result = dedupe(records, threshold=0.9)
    predicted = {(p.a, p.b) for p in result.pairs}
    hits = len(predicted & truth)
    return hits / max(1, len(predicted)), hits / len(truth), len(truth)


def test_business_listings_precision_and_recall_at_least_95_percent():
    # Seeds the comparisons were not tuned on ("dev" was).
    for seed in ("test", "holdout-2"):
        precision, recall, pairs = _scores(seed, 400)
        print(f"listings {seed}: precision {precision:.4f} recall {recall:.4f} ({pairs} pairs)")
        assert precision >= 0.95 and recall >= 0.95


def test_the_file_mode_reads_a_directory_by_its_column_names(tmp_path):
    header = ["id", "name", "street address", "city", "phone", "category"]
    rows = [
        ["1", "The Blue Harbor Grill", "45 Sunset Blvd.", "Los Angeles", "(213) 848-6677", "bar"],
        ["2", "Blue Harbor Grill LLC", "45 Sunset Boulevard", "LOS ANGELES", "213/848-6677", ""],
        ["3", "Copper Kitchen", "45 Sunset Blvd., Suite 2", "Los Angeles", "(213) 555-0199", ""],
        ["4", "Golden Dragon", "9 Oak St.", "Boston", "617-555-0100", "chinese"],
        ["5", "Golden Dragon", "500 Elm Street", "Boston", "617-555-0222", "chinese"],
    ]
    assert records_from_columns(header, rows, id_column="id")[0]["street"] == "45 Sunset Blvd."
    path = tmp_path / "listings.csv"
    path.write_text("\n".join(",".join(f'"{v}"' for v in row) for row in [header, *rows]))
    result = CliRunner().invoke(
        app, ["dedupe", "--input", str(path), "--id-column", "id", "--json"]
    )
    assert result.exit_code == 0, result.output
    pairs = {(p["a"], p["b"]) for p in json.loads(result.stdout)["pairs"]}
    assert pairs == {("1", "2")}  # not the tenant at the same address, not the chain


def test_people_files_keep_the_person_model():
    header = ["id", "given_name", "surname", "company"]
    records = records_from_columns(header, [["1", "Ann", "Lee", "Acme"]], id_column="id")
    assert "first_name" in dedupe(records).roles


def test_the_on_entry_check_sees_through_legal_forms_and_the(users):
    harbor = make_company(by=users.rep_a, name="Blue Harbor Trading LLC")
    make_company(by=users.rep_a, name="Blue Moon Bakery")
    found = company_duplicates_find(user=users.rep_a, name="The Blue Harbor Trading Co.")
    assert [c.record.pk for c in found] == [harbor.pk]
    sao_mai = make_company(by=users.rep_a, name="Công ty TNHH Sao Mai")
    found = company_duplicates_find(user=users.rep_a, name="Sao Mai Co., Ltd")
    assert [c.record.pk for c in found] == [sao_mai.pk]
