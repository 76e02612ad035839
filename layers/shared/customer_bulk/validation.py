"""Validating and normalising one row (LadiFlow's field-level acceptance).

A bad value in a field that is not the row's key skips that field with a warning and keeps the row; a row whose
key is unusable is rejected. Every issue names the column as uploaded, the value and what was expected.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from customer_bulk.models.job import MatchKey
from customer_bulk.normalize import FieldProblem, normalize_email, normalize_name, normalize_phone
from customer_bulk.schema import FIELDS_BY_NAME, Kind


@dataclass(slots=True)
class Issue:
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


@dataclass(slots=True)
class ValidatedRow:
    row: int
    values: dict[str, str] = field(default_factory=dict)  # normalised, non-blank, valid values only
    errors: list[Issue] = field(default_factory=list)  # any error rejects the row
    warnings: list[Issue] = field(default_factory=list)  # fields skipped, row kept

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def email(self) -> str | None:
        return self.values.get("email")

    @property
    def phone(self) -> str | None:
        return self.values.get("phone")


@dataclass(frozen=True, slots=True)
class RowContext:
    """What every row of a job is validated against."""

    headers: Sequence[str]
    fields: Sequence[str | None]
    region: str
    match_key: MatchKey

    def column_name(self, field_name: str) -> str:
        for header, mapped in zip(self.headers, self.fields, strict=False):
            if mapped == field_name:
                return header or FIELDS_BY_NAME[field_name].header
        return FIELDS_BY_NAME[field_name].header


def key_values(cells: Sequence[str], context: RowContext) -> tuple[str | None, str | None]:
    """The row's normalised email and phone, or None where unusable (the splitter's view for duplicates)."""
    email = phone = None
    for index, name in enumerate(context.fields):
        if index >= len(cells) or not cells[index].strip():
            continue
        try:
            if name == "email" and email is None:
                email = normalize_email(cells[index])
            elif name == "phone" and phone is None:
                phone = normalize_phone(cells[index], context.region)
        except FieldProblem:
            continue
    return email, phone


def primary_key(email: str | None, phone: str | None, match_key: MatchKey) -> tuple[str, str] | None:
    """Which of the row's keys finds its customer under the job's match rule."""
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
    key_problems: dict[str, Issue] = {}
    for index, name in enumerate(context.fields):
        if name is None or index >= len(cells):
            continue
        text = cells[index]
        if not text.strip() or name in result.values:
            continue
        spec = FIELDS_BY_NAME[name]
        column = context.headers[index] or spec.header
        try:
            if spec.kind is Kind.EMAIL:
                value = normalize_email(text)
            elif spec.kind is Kind.PHONE:
                value = normalize_phone(text, context.region)
            else:
                value = normalize_name(text, spec.max_length)
        except FieldProblem as problem:
            issue = Issue(column, str(problem))
            if spec.is_key:
                key_problems[name] = issue
            else:
                result.warnings.append(_skipped(issue))
            continue
        result.values[name] = value

    _apply_key_rule(result, key_problems, context)
    if result.is_valid and duplicate_of:
        for name, first_row in duplicate_of.items():
            result.errors.append(
                Issue(
                    context.column_name(name),
                    f'"{result.values.get(name, "")}" is also on row {first_row}; the first occurrence was imported '
                    "and this row was skipped",
                )
            )
    if result.is_valid and shared_keys:
        for name, first_row in shared_keys.items():
            value = result.values.pop(name, "")
            result.warnings.append(
                Issue(context.column_name(name), f'"{value}" is also on row {first_row}; not set on this row')
            )
    return result


def _apply_key_rule(result: ValidatedRow, problems: dict[str, Issue], context: RowContext) -> None:
    required = {MatchKey.EMAIL: ("email",), MatchKey.PHONE: ("phone",)}.get(context.match_key, ("email", "phone"))
    if any(name in result.values for name in required):
        # The row has its key; a bad value in the other key column is just a skipped field.
        result.warnings.extend(_skipped(issue) for issue in problems.values())
        return
    result.errors.extend(problems.values())
    missing = [name for name in required if name not in problems]
    if not missing:
        return
    names = " or ".join(context.column_name(name) for name in required)
    if context.match_key is MatchKey.AUTO:
        message = "is required: the row has no usable email or phone, so it cannot be matched to a customer"
    else:
        message = f"is required: this import matches customers by {required[0]}"
    result.errors.append(Issue(names, message))


def _skipped(issue: Issue) -> Issue:
    return Issue(issue.column, f"{issue.message}; this field was not imported")
