"""Names of the files we hand back, derived from the name the admin uploaded."""

from pathlib import PurePath

from customer_bulk.paths import safe_file_name


def error_report_name(uploaded_name: str) -> str:
    return f"{PurePath(safe_file_name(uploaded_name)).stem}-errors.xlsx"


def diff_report_name(uploaded_name: str) -> str:
    return f"{PurePath(safe_file_name(uploaded_name)).stem}-preview.xlsx"


def rollback_report_name(uploaded_name: str) -> str:
    return f"{PurePath(safe_file_name(uploaded_name)).stem}-rollback.xlsx"
