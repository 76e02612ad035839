"""The notice emails in a real browser: every kind, in every language, at a phone's width and a desktop's.

Nothing may stick out past the screen (no sideways scrolling, no element whose right edge is off screen), the status
header and each download button must be on screen, and the plain-text part must say the counts the HTML table says.
Headless Chromium is Debian's (``make browser`` installs it); Playwright drives it and never downloads a browser.
"""

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from customer_bulk.i18n import LANGUAGES, Language
from customer_bulk.logic.notice import RenderedNotice, render
from customer_bulk_local.email_samples import SAMPLES, Sample, in_language

# (width, height) of the screens: a phone's and a laptop's.
SCREENS = {"phone": (390, 844), "desktop": (1280, 800)}

# What the page shows, measured in the page: what sticks out on the right, the header and the buttons, the counts.
MEASURE = r"""
(headline) => {
  const width = window.innerWidth;
  const height = window.innerHeight;
  const describe = (el) => {
    const box = el.getBoundingClientRect();
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    const style = (el.getAttribute('style') || '').slice(0, 90);
    return `<${el.tagName.toLowerCase()}> right=${box.right.toFixed(1)} width=${box.width.toFixed(1)} ` +
      `style="${style}" text="${text}"`;
  };
  const onScreen = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && box.left >= 0 && box.right <= width + 1 &&
      style.visibility !== 'hidden' && style.display !== 'none' && parseFloat(style.opacity) > 0;
  };
  // What can set a minimum width: runs of text the browser may not break (no overflow-wrap:anywhere on their
  // element, or white-space:nowrap), widest first.
  const runs = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const style = getComputedStyle(node.parentElement);
    if (style.overflowWrap === 'anywhere' || ['break-all', 'break-word'].includes(style.wordBreak)) continue;
    const pattern = style.whiteSpace.startsWith('nowrap') ? /\S(.*\S)?/gs : /\S+/g;
    for (const match of node.data.matchAll(pattern)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      runs.push({width: range.getBoundingClientRect().width, text: match[0].slice(0, 60),
                 in: describe(node.parentElement)});
    }
  }
  runs.sort((a, b) => b.width - a.width);
  const elements = [...document.querySelectorAll('*')];
  const headers = [...document.body.querySelectorAll('*')].filter((el) => el.textContent.trim() === headline);
  const header = headers[headers.length - 1];
  return {
    innerWidth: width,
    scrollWidth: document.documentElement.scrollWidth,
    widestRuns: runs.slice(0, 3).map((run) => `${run.width.toFixed(1)} px "${run.text}" in ${run.in}`),
    overflowing: elements.filter((el) => el.getBoundingClientRect().right > width + 1).map(describe),
    header: header ? {onScreen: onScreen(header), top: header.getBoundingClientRect().top, height} : null,
    buttons: [...document.querySelectorAll('a[href]')].map((a) => ({
      href: a.getAttribute('href'),
      onScreen: onScreen(a),
      box: describe(a),
    })),
    counts: [...document.querySelectorAll('tr')]
      .filter((tr) => tr.children.length === 2 && getComputedStyle(tr.children[1]).textAlign === 'right')
      .map((tr) => [tr.children[0].textContent.trim(), tr.children[1].textContent.trim()]),
  };
}
"""

# A count in the text part: "  <label>:   <figure>" (the facts are not indented, the links have no space after ':').
TEXT_COUNT = re.compile(r"^  (.+):\s+(\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    sample: Sample
    language: Language
    screen: str

    @property
    def id(self) -> str:
        return f"{self.sample.name}-{self.language}-{self.screen}"


CASES = [Case(sample, language, screen) for sample in SAMPLES for language in LANGUAGES for screen in SCREENS]


MISSING = (
    "Chromium is not installed (no `chromium` on PATH): the email rendering tests need Debian's headless Chromium. "
    "`make browser` installs it (apt-get install chromium); `make test` does that first."
)


@pytest.fixture(scope="module")
def pages() -> Iterator[dict[str, Page]]:
    """One browser for the module and one page per screen, reused for every notice; none when Chromium is missing
    (each test then fails saying so: a missing browser is not a reason to skip)."""
    executable = shutil.which("chromium")
    if executable is None:
        yield {}
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        contexts = [
            browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
            for width, height in SCREENS.values()
        ]
        yield {screen: context.new_page() for screen, context in zip(SCREENS, contexts, strict=True)}
        for context in contexts:
            context.close()
        browser.close()


def _measure(page: Page, rendered: RenderedNotice) -> dict[str, Any]:
    page.set_content(rendered.html, wait_until="load")
    headline = rendered.text.splitlines()[0]
    measured: dict[str, Any] = page.evaluate(MEASURE, headline)
    return measured


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_notice_fits_the_screen_and_says_what_the_text_says(pages: dict[str, Page], case: Case) -> None:
    if not pages:
        pytest.fail(MISSING)
    notice = in_language(case.sample, case.language)
    rendered = render(notice)
    measured = _measure(pages[case.screen], rendered)
    where = f"{case.sample.name} in {case.language} at {measured['innerWidth']} px"

    widest = "\n".join(measured["widestRuns"])
    assert measured["scrollWidth"] <= measured["innerWidth"], (
        f"{where}: the page scrolls sideways ({measured['scrollWidth']} px wide).\n"
        f"Widest text that may not wrap:\n{widest}\nSticking out:\n" + "\n".join(measured["overflowing"])
    )
    assert measured["overflowing"] == [], (
        f"{where}: elements past the right edge:\n" + "\n".join(measured["overflowing"]) + f"\nWidest:\n{widest}"
    )

    header = measured["header"]
    assert header is not None, f"{where}: the status header ({rendered.text.splitlines()[0]!r}) is not in the page"
    assert header["onScreen"] and header["top"] < header["height"], f"{where}: the status header is not on screen"

    urls = [link.url for link in notice.files] if notice.kind == "export" else [notice.report_url] * case.sample.buttons
    assert [button["href"] for button in measured["buttons"]] == urls, f"{where}: the download buttons"
    for button in measured["buttons"]:
        assert button["onScreen"], f"{where}: a download button is not on screen: {button['box']}"
        assert button["href"] in rendered.text, f"{where}: the text part lacks the link {button['href']}"

    counts = [tuple(pair) for pair in measured["counts"]]
    assert bool(counts) == case.sample.shows_counts, f"{where}: counts table {counts}"
    assert TEXT_COUNT.findall(rendered.text) == counts, (
        f"{where}: the text part's counts differ from the HTML table's:\n{rendered.text}\nHTML: {counts}"
    )
