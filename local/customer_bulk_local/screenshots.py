"""Pictures of the notice emails for the docs: every sample notice (``email_samples``) in every language, rendered by
headless Chromium 600 px wide (the email's width) and saved whole as ``docs/emails/<sample>-<language>.png``.

    python -m customer_bulk_local.screenshots [--out docs/emails]

Chromium is Debian's (``make browser`` installs it); Playwright drives it and never downloads a browser. The samples
and their clock are fixed, so the same code and the same fonts make the same files. Nothing else is written.
"""

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from customer_bulk.logic.notice import render
from customer_bulk_local.email_samples import every_notice

WIDTH = 600
DEFAULT_OUT = Path("docs/emails")


def chromium() -> str:
    """The system Chromium's path, or SystemExit saying how to install it."""
    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit(
            "Chromium is not installed (no `chromium` on PATH): run `make browser` (apt-get install chromium)."
        )
    return executable


def take(out: Path) -> list[Path]:
    """Render every sample in every language into ``out``; the paths written, in order."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True)
        try:
            # A short viewport: a full-page picture is as tall as the email, never padded to the window's height.
            context = browser.new_context(viewport={"width": WIDTH, "height": 100}, device_scale_factor=1)
            page = context.new_page()
            for sample, language, notice in every_notice():
                page.set_content(render(notice).html, wait_until="load")
                path = out / f"{sample.name}-{language}.png"
                page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
                written.append(path)
            context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the PNG files go (default: docs/emails)")
    args = parser.parse_args(argv)
    written = take(args.out)
    print(f"{len(written)} pictures in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
