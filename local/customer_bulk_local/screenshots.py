"""Pictures for the docs: every sample notice email (``email_samples``) in every language, rendered by headless
Chromium 600 px wide (the email's width) and saved whole as ``docs/emails/<sample>-<language>.png``; and each step of
the admin console's path (``console_tour``, on a ``customer-bulk serve`` of its own, 1280 px wide, with a fixed clock;
times that come from the stack are masked) as ``docs/console/<step>.png``.

    python -m customer_bulk_local.screenshots [--out docs/emails] [--console-out docs/console] [--no-console]

Chromium is Debian's (``make browser`` installs it); Playwright drives it and never downloads a browser. The samples,
the console's data and the clocks are fixed, so the same code and the same fonts make the same files. Nothing else
is written.
"""

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, sync_playwright

from customer_bulk.logic.notice import render
from customer_bulk_local.email_samples import every_notice

WIDTH = 600
DEFAULT_OUT = Path("docs/emails")
CONSOLE_OUT = Path("docs/console")
CONSOLE_SCREEN: ViewportSize = {"width": 1280, "height": 800}
CONSOLE_TENANT = "cua-hang-mau"  # a fresh stack each time: the same tenant, the same data
# Masked texts (times, file names made of the date and a random part) keep one width whatever they say.
MASKED_WIDTHS = "#export-result a { width: 22em; overflow: hidden; white-space: nowrap; }"
CONSOLE_CLOCK = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


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


def take_console(out: Path) -> list[Path]:
    """Each step of the console's path into ``out`` as ``<step>.png``; the paths written, in order."""
    from customer_bulk_local.console_tour import serving, tour

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as work, serving(Path(work)) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True)
        try:
            context = browser.new_context(
                viewport=CONSOLE_SCREEN, device_scale_factor=1, accept_downloads=True, timezone_id="Asia/Ho_Chi_Minh"
            )
            page = context.new_page()
            page.clock.set_fixed_time(CONSOLE_CLOCK)

            def picture(step: str, shown: Page) -> None:
                shown.wait_for_timeout(150)  # let the live region and focus settle
                path = out / f"{step}.png"
                shown.screenshot(
                    path=path,
                    full_page=True,
                    animations="disabled",
                    caret="hide",
                    mask=[shown.locator(".time"), shown.locator("#export-result a")],
                    mask_color="#d5dbe4",
                    style=MASKED_WIDTHS,
                )
                written.append(path)

            tour(page, served, Path(work), picture, tenant=CONSOLE_TENANT)
            context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the PNG files go (default: docs/emails)")
    parser.add_argument(
        "--console-out", type=Path, default=CONSOLE_OUT, help="where the console's PNG files go (default: docs/console)"
    )
    parser.add_argument("--no-console", action="store_true", help="the emails only (no local stack started)")
    args = parser.parse_args(argv)
    written = take(args.out)
    print(f"{len(written)} pictures in {args.out}", file=sys.stderr)
    if not args.no_console:
        steps = take_console(args.console_out)
        print(f"{len(steps)} pictures in {args.console_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
