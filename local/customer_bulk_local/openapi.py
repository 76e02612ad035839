"""Print the HTTP API's OpenAPI 3.1 document, as ``GET /openapi.json`` serves it: ``docs/openapi.json`` is this
output (``make openapi``), and a unit test fails when the two differ."""

import json
import sys


def render() -> str:
    from functions.api.app import openapi_document

    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
