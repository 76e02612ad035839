"""Validating and normalising one row (LadiFlow's field-level acceptance).

A bad value in a field that is not the row's key skips that field with a warning and keeps the row; a row whose
key is unusable, or that misses what the tenant requires, is rejected. Every issue names the column as uploaded,
the value and what was expected.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from customer_bulk.i18n import _
from customer_bulk.models.job import ImportJob, ImportType, MatchKey
from customer_bulk.models.tenant import NameOrder, Requirement, TenantSettings
from customer_bulk.normalize import (
    FieldProblem,
    Outcome,
    clean_text,
    clean_value,
    country_code_of,
    country_name,
    is_formula_like,
    normalize_bool,
    normalize_choice,
    normalize_country_code,
    normalize_date,
    normalize_email,
    normalize_name,
    normalize_number,
    normalize_phone,
    outcome_of,
    tags_of,
    text_of,
)
from customer_bulk.schema import FieldSpec, Kind, Schema, schema_for

NEW_CUSTOMER_IDS = ("", "0")  # Tix: CustomerID 0 (or empty) means "create a new customer"


@dataclass(slots=True)
class Issue:
    column: str
    message: str  # said in the job's language
    skipped: bool = False  # the field was left out and the row kept

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.column}: " + _("{problem}; this field was not imported", problem=self.message)
        return f"{self.column}: {self.message}"


@dataclass(slots=True)
class ValidatedRow:
    row: int
    values: dict[str, Any] = field(default_factory=dict)  # normalised, non-blank, valid values of stored fields
    clears: set[str] = field(default_factory=set)  # fields the row empties with the clear token
    customer_ref: str | None = None  # the Customer ID column: ours when matching by id, else another system's
    version: int | None = None  # the Version column of an export: the customer's version when it was exported
    errors: list[Issue] = field(default_factory=list)  # any error rejects the row
    warnings: list[Issue] = field(default_factory=list)  # fields skipped, row kept

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def id_to_match(self) -> str | None:
        """The existing customer this row names by id (match by id only), or None for a new customer."""
        ref = self.customer_ref
        return None if ref is None or ref in NEW_CUSTOMER_IDS else ref


@dataclass(frozen=True)
class RowContext:
    """What every row of a job is validated against."""

    headers: Sequence[str]
    fields: Sequence[str | None]
    settings: TenantSettings
    match_key: MatchKey
    import_type: ImportType = ImportType.CUSTOMERS
    # Field -> {value as written (case aside): value to read instead} ("M" -> "Nam"): the job's value map.
    value_map: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    schema: Schema = field(init=False)
    plan: tuple["Column", ...] = field(init=False)
    required_keys: tuple[str, ...] = field(init=False)
    clear_token: str = field(init=False)

    def __post_init__(self) -> None:
        schema = schema_for(self.settings, self.import_type)
        object.__setattr__(self, "schema", schema)
        plan = []
        for index, name in enumerate(self.fields):
            if name is not None:
                spec = schema[name]
                label = self.headers[index] or spec.label
                parse = (
                    _mapped(self.value_map[name], _parser(spec, self))
                    if self.value_map.get(name)
                    else _parser(spec, self)
                )
                plan.append(Column(index, name, label, parse, _slot(spec), spec.is_key, spec.stored))
        object.__setattr__(self, "plan", tuple(plan))
        required = {MatchKey.EMAIL: ("email",), MatchKey.PHONE: ("phone",)}.get(self.match_key, ("email", "phone"))
        if self.import_type is ImportType.OPENING_BALANCE:
            required = ("phone", "email")  # both, not either
        object.__setattr__(self, "required_keys", required)
        object.__setattr__(self, "clear_token", self.settings.clear_token.casefold())

    @classmethod
    def of(cls, job: ImportJob) -> "RowContext":
        return cls(job.headers, job.fields, job.settings, job.options.match_key, job.options.type, job.value_map)

    @property
    def region(self) -> str:
        return self.settings.default_region

    def column_name(self, field_name: str) -> str:
        for header, mapped in zip(self.headers, self.fields, strict=False):
            if mapped == field_name:
                return header or self.schema[field_name].label
        return self.schema[field_name].label


# Where a parsed value goes (decided once per column, not per cell).
VALUE, REF, FULL_NAME, COUNTRY, IGNORED, VERSION = range(6)


class Column(NamedTuple):
    """One mapped column of a job, with its parser bound once (not looked up for every cell)."""

    position: int
    name: str
    label: str  # the header as uploaded
    parse: Callable[[str], Any]
    slot: int
    is_key: bool
    stored: bool


def _slot(spec: FieldSpec) -> int:
    slots = {Kind.ID: REF, Kind.FULL_NAME: FULL_NAME, Kind.COUNTRY: COUNTRY, Kind.COUNTRY_CODE: COUNTRY}
    return {**slots, Kind.VERSION: VERSION}.get(spec.kind, IGNORED if spec.kind is Kind.TOTAL else VALUE)


def _parser(spec: FieldSpec, context: RowContext) -> Callable[[str], Outcome]:
    """The column's parser as text -> (ok, value or message); remembered ones cost a cache lookup when a value
    repeats, rejections included."""
    region, order, choices, limit = context.region, context.settings.date_order, spec.choices, spec.max_length
    parsers: dict[Kind, Callable[[str], Outcome]] = {
        Kind.ID: lambda text: text_of.outcome(text, 64),
        Kind.EMAIL: lambda text: outcome_of(normalize_email, text),
        Kind.PHONE: lambda text: outcome_of(normalize_phone, text, region),
        Kind.CHOICE: lambda text: normalize_choice.outcome(text, choices),
        Kind.DATE: lambda text: normalize_date.outcome(text, order),
        Kind.YES_NO: normalize_bool.outcome,
        Kind.COUNTRY: country_code_of.outcome,
        Kind.COUNTRY_CODE: normalize_country_code.outcome,
        Kind.TAGS: _tags_outcome,
        Kind.NUMBER: lambda text: outcome_of(normalize_number, text),
        Kind.AMOUNT: _amount_outcome,
        Kind.VERSION: _version_outcome,
    }
    if spec.kind in parsers:
        return parsers[spec.kind]
    if spec.name == "note":  # a note keeps what was typed, but not the apostrophe an export put before a formula
        return lambda text: outcome_of(normalize_name, _without_formula_quote(text), limit)
    return lambda text: text_of.outcome(text, limit)


def fold_value(text: str) -> str:
    """How a written value is looked up in a value map: case and surrounding spaces aside."""
    return text.strip().casefold()


def folded_value_map(pairs: Mapping[str, str]) -> dict[str, str]:
    """A column's value map (written -> allowed value) keyed by ``fold_value``."""
    return {fold_value(written): value for written, value in pairs.items()}


def _mapped(pairs: Mapping[str, str], parse: Callable[[str], Outcome]) -> Callable[[str], Outcome]:
    """``parse`` reading a mapped value as the value it maps to ("M" -> "Nam")."""
    folded = folded_value_map(pairs)
    return lambda text: parse(folded.get(fold_value(text), text))


def _without_formula_quote(text: str) -> str:
    return text[1:] if text.startswith("'") and is_formula_like(text[1:]) else text


def _version_outcome(text: str) -> Outcome:
    ok, number = outcome_of(normalize_number, text)
    if ok and isinstance(number, int) and number > 0:
        return True, number
    return False, f'"{clean_text(text)}" is not a version (the export wrote a whole number; leave it as it was)'


MAX_AMOUNT = 10**15


def _amount_outcome(text: str) -> Outcome:
    ok, number = outcome_of(normalize_number, text)
    if ok and 0 <= number < MAX_AMOUNT:
        return True, number
    return False, f'"{clean_text(text)}" is not an amount (a number of zero or more, e.g. 1500000 or 1.500.000)'


def _tags_outcome(text: str) -> Outcome:
    ok, tags = tags_of.outcome(text, 250)
    return (True, list(tags)) if ok else (False, tags)


def key_values(cells: Sequence[str], context: RowContext) -> tuple[str | None, str | None, str | None]:
    """The row's normalised email, phone and customer id, or None where unusable (the splitter's view)."""
    email = phone = ref = None
    for index, name in enumerate(context.fields):
        if name not in ("email", "phone", "customer_id") or index >= len(cells) or not cells[index].strip():
            continue
        try:
            if name == "email" and email is None:
                email = normalize_email(cells[index])
            elif name == "phone" and phone is None:
                phone = normalize_phone(cells[index], context.region)
            elif name == "customer_id" and ref is None:
                ref = clean_value(cells[index])
        except FieldProblem:
            continue
    return email, phone, ref


def primary_key(
    email: str | None, phone: str | None, match_key: MatchKey, ref: str | None = None
) -> tuple[str, str] | None:
    """Which of the row's keys finds its customer under the job's match rule."""
    if match_key is MatchKey.CUSTOMER_ID and ref not in (None, *NEW_CUSTOMER_IDS):
        return ("customer_id", str(ref))
    if match_key is MatchKey.EMAIL:
        return ("email", email) if email else None
    if match_key is MatchKey.PHONE:
        return ("phone", phone) if phone else None
    if email:
        return ("email", email)
    return ("phone", phone) if phone else None


def validate_row(
    row: int,
    cells: Sequence[str],
    context: RowContext,
    duplicate_of: dict[str, int] | None = None,
    shared_keys: dict[str, int] | None = None,
) -> ValidatedRow:
    """``duplicate_of``: the row's key already appeared (first occurrence wins); ``shared_keys``: its other key did."""
    result = ValidatedRow(row=row)
    clear_token = context.clear_token
    key_problems: dict[str, Issue] = {}
    full_name: str | None = None
    countries: dict[str, tuple[str, str]] = {}  # "country" / "country_code" -> (code, column)
    values = result.values
    width = len(cells)
    token_length = len(clear_token)
    for position, name, label, parse, slot, is_key, stored in context.plan:
        if position >= width:
            continue
        text = cells[position]
        stripped = text.strip()
        if not stripped:
            continue
        if len(stripped) == token_length and stripped.casefold() == clear_token:
            if stored:
                result.clears.add(name)
            else:
                result.warnings.append(
                    Issue(label, _("{token} cannot clear this column", token=context.settings.clear_token))
                )
            continue
        ok, value = parse(text)
        if not ok:
            if is_key:
                key_problems[name] = Issue(label, value)
            else:
                result.warnings.append(Issue(label, value, skipped=True))
            continue
        if slot == VALUE:
            values[name] = value
        elif slot == REF:
            result.customer_ref = value
        elif slot == FULL_NAME:
            full_name = value
        elif slot == COUNTRY:
            countries[name] = (value, label)
        elif slot == VERSION:
            result.version = value

    if full_name and not ({"first_name", "last_name"} & (result.values.keys() | result.clears)):
        result.values.update(_split_name(full_name, context.settings.name_order))
    if countries:
        _set_country(result, countries)
    if context.import_type is ImportType.OPENING_BALANCE:
        _apply_balance_rule(result, key_problems, context)
    else:
        _apply_key_rule(result, key_problems, context)
        if context.settings.requirement is Requirement.FIRST_NAME_AND_EMAIL:
            _require(result, context, ("first_name", "email"), _("this account requires a first name and an email"))
    if result.is_valid and duplicate_of:
        for name, first_row in duplicate_of.items():
            shown = result.customer_ref if name == "customer_id" else result.values.get(name, "")
            result.errors.append(
                Issue(
                    context.column_name(name),
                    _(
                        '"{value}" is also on row {row}; the first occurrence was imported and this row was skipped',
                        value=shown,
                        row=str(first_row),
                    ),
                )
            )
    if result.is_valid and shared_keys:
        for name, first_row in shared_keys.items():
            value = result.values.pop(name, "")
            result.warnings.append(
                Issue(
                    context.column_name(name),
                    _('"{value}" is also on row {row}; not set on this row', value=value, row=str(first_row)),
                )
            )
    return result


def _split_name(full_name: str, order: NameOrder) -> dict[str, str]:
    parts = full_name.split()
    if len(parts) == 1:
        return {"first_name": parts[0]}
    if order is NameOrder.FAMILY_FIRST:  # "Nguyễn Văn An": family name Nguyễn, given name Văn An
        return {"last_name": parts[0], "first_name": " ".join(parts[1:])}
    return {"first_name": " ".join(parts[:-1]), "last_name": parts[-1]}


def _set_country(result: ValidatedRow, countries: dict[str, tuple[str, str]]) -> None:
    """Country and country code are derived from each other; when both are given and disagree, the code wins."""
    named, coded = countries.get("country"), countries.get("country_code")
    code = coded[0] if coded else named[0] if named else None
    if named and coded and named[0] != coded[0]:
        result.warnings.append(
            Issue(
                named[1],
                _(
                    '"{country}" does not match the country code "{code}"; the code was kept',
                    country=country_name(named[0]),
                    code=coded[0],
                ),
            )
        )
    if code:
        result.values["country_code"] = code
        result.values["country"] = country_name(code)


def _apply_key_rule(result: ValidatedRow, problems: dict[str, Issue], context: RowContext) -> None:
    if context.match_key is MatchKey.CUSTOMER_ID and result.id_to_match:
        result.warnings.extend(_skipped(issue) for issue in problems.values())
        return
    required = context.required_keys
    values = result.values
    if required[0] in values or (len(required) > 1 and required[1] in values):
        # The row has its key; a bad value in the other key column is just a skipped field.
        if problems:
            result.warnings.extend(_skipped(issue) for issue in problems.values())
        return
    result.errors.extend(problems.values())
    if any(name in problems for name in required):
        return
    names = _(" or ").join(context.column_name(name) for name in required)
    if context.match_key is MatchKey.CUSTOMER_ID:
        message = _("is required: a new customer (Customer ID 0 or empty) needs a usable email or phone")
    elif context.match_key is MatchKey.AUTO:
        message = _("is required: the row has no usable email or phone, so it cannot be matched to a customer")
    else:
        field_label = context.schema[required[0]].label.lower()
        message = _("is required: this import matches customers by {field}", field=field_label)
    result.errors.append(Issue(names, message))


def _apply_balance_rule(result: ValidatedRow, problems: dict[str, Issue], context: RowContext) -> None:
    """An opening balance needs the member's phone and email (both) and a valid amount in each amount column."""
    for name in ("phone", "email"):
        if name in problems:
            result.errors.append(problems[name])
        elif name not in result.values:
            result.errors.append(
                Issue(
                    context.column_name(name), _("is required: an opening balance finds the member by phone and email")
                )
            )
    _strict(result, context, ("opening_spend", "cumulative_spend"))
    if "opening_spend" not in result.values and not _has_error(result, context, "opening_spend"):
        result.errors.append(
            Issue(context.column_name("opening_spend"), _("is required: the spend that becomes points"))
        )


def _require(result: ValidatedRow, context: RowContext, names: tuple[str, ...], reason: str) -> None:
    if not result.is_valid:
        return
    _strict(result, context, names)
    for name in names:
        if name not in result.values and not _has_error(result, context, name):
            result.errors.append(Issue(context.column_name(name), _("is required ({reason})", reason=reason)))


def _strict(result: ValidatedRow, context: RowContext, names: tuple[str, ...]) -> None:
    """A bad value in these columns rejects the row instead of skipping the field."""
    columns = {context.column_name(name) for name in names if name not in result.values}
    for warning in [w for w in result.warnings if w.column in columns]:
        result.warnings.remove(warning)
        result.errors.append(Issue(warning.column, warning.message))


def _has_error(result: ValidatedRow, context: RowContext, name: str) -> bool:
    column = context.column_name(name)
    return any(issue.column == column for issue in result.errors)


def _skipped(issue: Issue) -> Issue:
    return Issue(issue.column, issue.message, skipped=True)
