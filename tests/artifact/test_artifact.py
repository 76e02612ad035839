"""The artifact we ship, loaded the way Lambda loads it.

`make build` runs `sam build` (.aws-sam/build) and installs, beside it, the boto3 that Lambda's python3.11 runtime
provides (.aws-sam/lambda-runtime). Each function's handler is then imported in a fresh interpreter that sees only
what Lambda puts on the import path: the function's folder, the layer's python/ folder, the runtime's packages and
the standard library; no site-packages, no source tree, no PYTHONPATH."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / ".aws-sam" / "build"
RUNTIME = REPO / ".aws-sam" / "lambda-runtime"
# Lambda's python3.11 runtime runs on Amazon Linux 2: glibc 2.26, x86_64 here (template: Architectures).
MAX_GLIBC = (2, 26)

_BOOTSTRAP = """
import importlib, json, sys
roots = json.loads(sys.argv[1])
sys.path[:0] = roots
module_name, handler_name = sys.argv[2].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), handler_name)
assert callable(handler), sys.argv[2]
stdlib = sys.base_prefix
outside = sorted(
    {m.__file__ for m in list(sys.modules.values())
     if getattr(m, "__file__", None) and not m.__file__.startswith((*roots, stdlib))}
)
print(json.dumps({"modules": len(sys.modules), "outside": outside}))
"""


def _runs_on_lambda(tag: str) -> bool:
    """A wheel tag (python-abi-platform) that Lambda's python3.11 on x86_64 Amazon Linux 2 can load."""
    python, abi, platform = tag.split("-")
    if platform == "any":
        return True
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    glibc = re.match(r"manylinux_(\d+)_(\d+)_", platform)
    version = (int(glibc[1]), int(glibc[2])) if glibc else legacy.get(platform.split("_")[0])
    return (
        version is not None
        and version <= MAX_GLIBC
        and platform.endswith("x86_64")
        and (python == "cp311" or abi == "abi3")
    )


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _built_functions() -> dict[str, dict[str, Any]]:
    if not (BUILD / "template.yaml").is_file() or not RUNTIME.is_dir():
        pytest.fail("No built artifact: run `make build` (sam build) first; `make test` does.")
    template = yaml.load((BUILD / "template.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_every_function_of_the_template_was_built() -> None:
    source = yaml.load((REPO / "template.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    declared = {name for name, r in source["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert set(_built_functions()) == declared
    assert len(declared) >= 12


@pytest.mark.parametrize("logical_id", sorted(_built_functions()) if (BUILD / "template.yaml").is_file() else [])
def test_the_handler_loads_from_the_artifact_with_only_lambdas_import_path(logical_id: str) -> None:
    properties = _built_functions()[logical_id]
    task_root = BUILD / properties["CodeUri"]
    layer = BUILD / "SharedLayer" / "python"
    roots = [str(task_root), str(layer), str(RUNTIME)]
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "en_US.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "LAMBDA_TASK_ROOT": str(task_root),
        "POWERTOOLS_SERVICE_NAME": "customer-bulk",
        "POWERTOOLS_METRICS_NAMESPACE": "CustomerBulk",
    }
    loaded = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _BOOTSTRAP, json.dumps(roots), properties["Handler"]],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=task_root,
        check=False,
    )
    assert loaded.returncode == 0, f"{logical_id} does not start on Lambda:\n{loaded.stderr[-3000:]}"
    report = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert report["outside"] == [], f"{logical_id} imported files from outside Lambda's path"


def test_the_layer_holds_the_package_and_only_wheels_lambda_can_run() -> None:
    layer = BUILD / "SharedLayer" / "python"
    assert (layer / "customer_bulk" / "logic" / "links.py").is_file()
    assert not (layer / "customer_bulk_local").exists(), "the local stack must not ship"
    assert not list(layer.glob("moto*")), "moto is a test dependency, never shipped"
    refused = [
        wheel.parent.name
        for wheel in layer.glob("*.dist-info/WHEEL")
        if not any(_runs_on_lambda(tag) for tag in re.findall(r"^Tag: (.+)$", wheel.read_text(), re.MULTILINE))
    ]
    assert refused == [], "native wheels Lambda's python3.11 (Amazon Linux 2, glibc 2.26) cannot load"


_SPEAKS = """
import json, sys
sys.path[:0] = json.loads(sys.argv[1])
from customer_bulk.i18n import LANGUAGES, _, n_, number, speaking, catalog
said = {}
for language in LANGUAGES:
    with speaking(language):
        said[language] = [_("Import finished"), n_("{count} customer", "{count} customers", 2), number(2401)]
print(json.dumps(said, ensure_ascii=False))
"""


def test_the_layer_speaks_every_language_with_its_catalogs_and_locale_data() -> None:
    """The compiled catalogs (.mo) and the CLDR data of our locales are in the layer, and nothing else loads them."""
    layer = BUILD / "SharedLayer" / "python"
    for language in ("vi", "it", "da"):
        assert (layer / "customer_bulk" / "locale" / language / "LC_MESSAGES" / "customer_bulk.mo").is_file()
    kept = {path.stem for path in (layer / "babel" / "locale-data").glob("*.dat")}
    assert {"root", "vi", "it", "da", "en"} <= kept and len(kept) < 20, "the layer keeps only the locales we speak"
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _SPEAKS, json.dumps([str(layer), str(RUNTIME)])],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["en"] == ["Import finished", "2 customers", "2,401"]
    for language in ("vi", "it", "da"):
        assert said[language][0] != "Import finished" and said[language][2] == "2.401", (language, said[language])
