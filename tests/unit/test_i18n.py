"""Speaking the admin's language: the catalogs are complete, numbers, dates and plurals follow the locale, a
tenant's language follows its region unless it chose one, and a file written in one language reads back in any."""

from datetime import UTC, datetime

import pytest

from customer_bulk.i18n import LANGUAGES, _, language_of_region, moment, n_, negotiate, number, speaking
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.normalize import FieldProblem, normalize_bool, normalize_date, yes_no
from customer_bulk.schema import BALANCE_SCHEMA, DEFAULT_SCHEMA, REPORT_COLUMNS, header_token, schema_for
from customer_bulk_local.catalogs import TRANSLATED, problems


def test_every_message_is_translated_in_every_catalog_with_the_same_placeholders() -> None:
    assert list(problems()) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_catalog_really_translates(language: str) -> None:
    """Not English passed through: the catalogs are loaded and their words differ from the source."""
    with speaking(language):
        assert _("Import finished") != "Import finished"
        assert _("Invalid rows") != "Invalid rows"


def test_numbers_are_written_the_locale_way() -> None:
    written = {}
    for language in LANGUAGES:
        with speaking(language):
            written[language] = number(2401)
    assert written == {"vi": "2.401", "en": "2,401", "it": "2.401", "da": "2.401"}


def test_plural_forms_follow_each_language() -> None:
    forms = {}
    for language in LANGUAGES:
        with speaking(language):
            forms[language] = [n_("{count} customer", "{count} customers", count) for count in (1, 2)]
    assert forms["en"] == ["1 customer", "2 customers"]
    vi_one, vi_two = forms["vi"]
    assert vi_one.replace("1", "2") == vi_two  # Vietnamese has one form
    da_one, da_two = forms["da"]
    assert da_one.replace("1", "2") != da_two  # Danish: kunde / kunder
    it_one, it_two = forms["it"]
    assert it_one.replace("1", "2") != it_two  # Italian: cliente / clienti


def test_dates_are_written_the_locale_way_in_the_tenant_zone() -> None:
    when = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    with speaking("en"):
        assert moment(when, "Asia/Ho_Chi_Minh") == "Nov 23, 2026, 3:30:00\u202fPM (Asia/Ho_Chi_Minh)"
    with speaking("da"):
        assert moment(when, "Europe/Copenhagen").startswith("23. nov. 2026 09.30.00")


def test_a_tenant_speaks_its_region_language_unless_it_chose_one() -> None:
    assert TenantSettings().speaks == "vi"
    assert TenantSettings(default_region="IT").speaks == "it"
    assert TenantSettings(default_region="DK").speaks == "da"
    assert TenantSettings(default_region="US").speaks == "en"
    assert TenantSettings(default_region="DK", language="en").speaks == "en"
    assert language_of_region("vn") == "vi"
    with pytest.raises(ValueError, match="language"):
        TenantSettings(language="fr")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("da, en;q=0.5", "da"),
        ("fr-FR, it-IT;q=0.8, en;q=0.5", "it"),
        ("en;q=0.2, vi;q=0.9", "vi"),
        ("fr, de", None),
        ("", None),
        (None, None),
        ("da;q=0", None),
    ],
)
def test_accept_language_picks_the_best_of_ours(header: str | None, expected: str | None) -> None:
    assert negotiate(header) == expected


def test_a_remembered_rejection_is_said_in_each_language() -> None:
    """The parsers cache their outcomes: a bad value seen in one language is not reported in it in another."""
    said = {}
    for language in ("en", "vi", "en", "da"):
        with speaking(language):
            said[language] = normalize_bool.outcome("maybe")[1]
    assert said["en"].startswith('"maybe" is not yes or no')
    assert said["vi"] != said["en"] and said["da"] != said["en"]
    with speaking("da"), pytest.raises(FieldProblem, match="februar"):  # the month named in Danish
        normalize_date("31/02/1990")


@pytest.mark.parametrize("language", LANGUAGES)
def test_yes_and_no_written_in_any_language_read_back(language: str) -> None:
    with speaking(language):
        yes, no = yes_no(True), yes_no(False)
    assert (normalize_bool(yes), normalize_bool(no)) == (True, False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_headers_written_in_any_language_map_back_to_their_field(language: str) -> None:
    """Templates and exports are written in the tenant's language; any tenant reads any of them."""
    tenant_schema = schema_for(TenantSettings(custom_fields=()))
    for schema in (DEFAULT_SCHEMA, BALANCE_SCHEMA, tenant_schema):
        with speaking(language):
            labels = {spec.name: spec.label for spec in schema.fields}
        assert {name: schema.guess(label) for name, label in labels.items()} == {name: name for name in labels}


def test_the_error_column_in_any_language_is_not_read_as_customer_data() -> None:
    for language in LANGUAGES:
        with speaking(language):
            said = [_(name) for name in REPORT_COLUMNS]
        mapping = DEFAULT_SCHEMA.map_headers(["Email", *said])
        assert mapping.fields == ["email", None, None]
        assert not mapping.ignored, (language, said)
    assert header_token("Lỗi")  # a Vietnamese header folds to a token like any other
