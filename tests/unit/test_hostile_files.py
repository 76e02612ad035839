"""Every file of the hostile corpus (local/customer_bulk_local/hostile.py) gets its specific answer from the
splitter's own checks, decided once (a rejection, never an internal error to retry), or is read whole."""

from pathlib import Path

import pytest

from customer_bulk.errors import FileRejected
from customer_bulk.logic.split import examine_upload
from customer_bulk.models.job import ImportOptions
from customer_bulk.models.tenant import TenantSettings
from customer_bulk_local.hostile import Hostile, corpus

CORPUS = corpus()


def test_the_corpus_is_large_and_each_name_once() -> None:
    assert len(CORPUS) >= 60
    assert len({item.name for item in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.name)
def test_each_file_gets_its_answer(item: Hostile, tmp_path: Path) -> None:
    path = tmp_path / item.name
    item.make(path)
    upload = tmp_path / "upload"  # stored without its name, as the splitter downloads it
    path.rename(upload)
    if item.code is None:
        assert str(examine_upload(upload, item.name, TenantSettings(), ImportOptions())) == item.expect
        return
    with pytest.raises(FileRejected) as rejected:
        examine_upload(upload, item.name, TenantSettings(), ImportOptions())
    assert rejected.value.code == item.code, rejected.value.message
    assert item.expect in rejected.value.message
