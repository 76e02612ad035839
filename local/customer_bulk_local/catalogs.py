"""The translation catalogs: extract the messages the code says, merge them into each language's ``.po``, compile
the ``.mo`` files the layer ships, and check that every message is translated with the same placeholders.

    python -m customer_bulk_local.catalogs update    # after changing messages: extract, merge, compile
    python -m customer_bulk_local.catalogs compile   # .po -> .mo (make build runs it before sam build)
    python -m customer_bulk_local.catalogs check     # what the tests assert, as a list of problems
"""

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from customer_bulk.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
# The CLI's lines are said in the same languages; its messages ship in the layer's catalogs with the rest.
SOURCES = (ROOT / "layers" / "shared" / "customer_bulk", ROOT / "functions", ROOT / "local" / "customer_bulk_local")
KEYWORDS = {"_": None, "n_": (1, 2), "N_": None}
TRANSLATED = tuple(language for language in LANGUAGES if language != SOURCE_LANGUAGE)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def extract() -> Catalog:
    """Every message the code marks, with where it is said."""
    template = Catalog(project="customer-bulk", domain=DOMAIN)
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            source, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("Translators:",)
        ):
            where = (str((source / filename).relative_to(ROOT)), lineno)
            template.add(message, locations=[where], auto_comments=comments, context=context)
    return template


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def update() -> None:
    template = extract()
    for language in TRANSLATED:
        path = po_path(language)
        if path.exists():
            catalog = read(language)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, domain=DOMAIN, project="customer-bulk")
            catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header: a fuzzy one is left out of the .mo, and its plural rule with it
        catalog.last_translator = catalog.language_team = "customer-bulk"
        with path.open("wb") as handle:
            write_po(handle, catalog, width=116, ignore_obsolete=True, include_lineno=False)
    compile_all()


def compiled(language: str) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, read(language), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for language in TRANSLATED:
        mo_path(language).write_bytes(compiled(language))


def _forms(message: Message) -> list[str]:
    return [str(form) for form in message.id] if isinstance(message.id, tuple | list) else [str(message.id)]


def _translations(message: Message) -> list[str]:
    said = message.string
    return [str(form or "") for form in said] if isinstance(said, tuple | list) else [str(said or "")]


def problems() -> Iterator[str]:
    """Each message the code says that a catalog lacks, leaves untranslated or fuzzy, or translates with other
    placeholders; and each .mo that is not its .po compiled."""
    wanted = extract()
    for language in TRANSLATED:
        catalog = read(language)
        for source in wanted:
            if not source.id:
                continue
            message = catalog.get(source.id)
            name = _forms(source)[0]
            if message is None:
                yield f"{language}: missing {name!r}"
                continue
            if message.fuzzy:
                yield f"{language}: fuzzy {name!r}"
            placeholders = {tuple(sorted(set(PLACEHOLDER.findall(form)))) for form in _forms(source)}
            for text in _translations(message):
                if not text:
                    yield f"{language}: untranslated {name!r}"
                elif (found := tuple(sorted(set(PLACEHOLDER.findall(text))))) not in placeholders:
                    yield f"{language}: placeholders {found} in the translation of {name!r}"
        if not mo_path(language).exists() or mo_path(language).read_bytes() != compiled(language):
            yield f"{language}: {mo_path(language).name} is not its .po compiled (run: make catalogs)"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = list(problems())
        print("\n".join(found) or "catalogs complete")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
