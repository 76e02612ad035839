"""The admin console's whole path in a real browser, as a person goes through it: shared by its end-to-end test
(tests/integration/test_console.py, which checks every step) and ``make screenshots`` (which pictures every step).

``customer-bulk serve`` hosts the console on an origin of its own and prints ``Console: URL`` after the API's URL;
the tour starts it, opens the console for a fresh tenant (signed in from the URL fragment), imports a small file
with a mapping review, previews it, confirms it, rolls it back from History and exports all customers.
"""

import csv
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect

from customer_bulk_local.client import ApiClient

CLI = Path(sys.executable).with_name("customer-bulk")

# The admin's file: two new customers (one whose gender "M" is mapped to "Nam" in the review), one known customer
# whose name changes, and one row without a usable key.
HEADERS = ["Họ tên", "Email", "Số điện thoại", "Giới tính"]
ROWS = [
    ["Nguyễn Văn An", "an@shop.vn", "0912345601", "M"],
    ["Trần Thị Bình", "binh@shop.vn", "0912345602", "Nữ"],
    ["Lê Văn Cường", "cuong@shop.vn", "0912345603", "Nam"],
    ["Không Hợp Lệ", "khong-phai-email", "", ""],
]
# Already a customer before the admin's import: the row above that changes it shows yellow.
KNOWN = (["Email", "Số điện thoại", "Họ tên"], [["cuong@shop.vn", "0912345603", "Lê Cường"]])

# What sticks out of the window on the right, and every control without an accessible name.
PAGE_CHECKS = r"""
() => {
  const width = document.documentElement.clientWidth;
  const overflow = document.documentElement.scrollWidth > width + 1 ? [`page scrollWidth
    ${document.documentElement.scrollWidth} > ${width}`] : [];
  const nameOf = (el) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
    if (el.id) {
      const label = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (label && label.textContent.trim()) return label.textContent.trim();
    }
    const wrapping = el.closest('label');
    if (wrapping && wrapping.textContent.trim()) return wrapping.textContent.trim();
    if (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim()) return el.textContent.trim();
    return (el.getAttribute('title') || '').trim();
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const unlabelled = [...document.querySelectorAll('input, select, textarea, button, a[href], progress')]
    .filter((el) => visible(el) && !nameOf(el))
    .map((el) => el.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('.table-wrap')) continue;  // a wide table scrolls inside its own box
    const box = el.getBoundingClientRect();
    if (box.right > width + 1) overflow.push(`<${el.tagName.toLowerCase()} class="${el.className}"> ${box.right}`);
  }
  return {overflow: overflow.slice(0, 5), unlabelled};
}
"""

# Every value the upload progress bar takes, recorded from the page's first moment.
WATCH_UPLOAD = """
window.__uploadSeen = [];
new MutationObserver((changes) => {
  for (const change of changes) {
    const el = change.target;
    if (el.id === 'upload-progress') window.__uploadSeen.push(Number(el.getAttribute('value')));
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['value']});
"""


@dataclass
class Served:
    api: str
    console: str
    process: subprocess.Popen[str]


@dataclass
class TourResult:
    tenant: str
    job_id: str = ""
    upload_seen: list[int] = field(default_factory=list)
    download: Path | None = None
    steps: list[str] = field(default_factory=list)


@contextmanager
def serving(cwd: Path) -> Iterator[Served]:
    """``customer-bulk serve`` in a process of its own: the API's URL on its first line, the console's after."""
    process = subprocess.Popen(  # noqa: S603 - our own command, next to this interpreter
        [str(CLI), "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    )
    try:
        assert process.stdout is not None
        api = process.stdout.readline().strip()
        if not api.startswith("http"):
            raise RuntimeError(f"serve did not start: {api!r} {process.stderr.read() if process.stderr else ''}")
        console = ""
        deadline = time.monotonic() + 30
        while not console and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            found = re.search(r"Console: (http\S+)", line)
            console = found[1] if found else ""
        if not console:
            raise RuntimeError("serve printed no `Console: URL` line")
        yield Served(api=api, console=console, process=process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def admin_file(folder: Path) -> Path:
    path = folder / "khach-hang.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADERS)
        writer.writerows(ROWS)
    return path


def seed_known_customer(api_url: str, tenant: str, folder: Path) -> None:
    path = folder / "known.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([KNOWN[0], *KNOWN[1]])
    client = ApiClient(api_url, tenant, "admin@shop.vn")
    created = client.create_import(path.name)
    client.upload(created["upload"], path)
    done = client.wait(created["job_id"], timeout_s=120)
    assert done["created"] == 1, done


def console_url(served: Served, tenant: str, email: str = "admin@shop.vn") -> str:
    base = served.console.split("#")[0]
    return f"{base}#tenant={tenant}&email={email}"


def check_page(page: Page) -> dict[str, list[str]]:
    found: dict[str, list[str]] = page.evaluate(PAGE_CHECKS)
    return found


def tour(
    page: Page, served: Served, folder: Path, on_step: Callable[[str, Page], None], tenant: str | None = None
) -> TourResult:
    """The whole path; ``on_step(name, page)`` is called once each step is on screen."""
    tenant = tenant or f"console-{uuid.uuid4().hex[:8]}"
    result = TourResult(tenant=tenant)
    seed_known_customer(served.api, tenant, folder)

    def step(name: str) -> None:
        result.steps.append(name)
        on_step(name, page)

    page.add_init_script(WATCH_UPLOAD)
    page.goto(console_url(served, tenant))
    expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=30_000)
    expect(page.locator("#nav")).to_be_visible()
    step("sign-in")

    # Choose the file and upload it: the keyboard reaches the file input, the submit button starts the upload.
    with page.expect_file_chooser() as chooser:
        page.locator("input[type=file]").click()
    chooser.value.set_files(admin_file(folder))
    page.locator("form button[type=submit]").focus()
    page.keyboard.press("Enter")

    mapping = page.locator("#mapping-table")
    expect(mapping).to_be_visible(timeout=60_000)
    result.upload_seen = page.evaluate("window.__uploadSeen")
    gender_m = page.locator('select[data-header="Giới tính"][data-value="M"]')
    expect(gender_m).to_be_visible()
    step("mapping")
    gender_m.select_option("Nam")
    page.locator("#preview").focus()
    page.keyboard.press("Enter")

    table = page.locator("#preview-table")
    expect(table).to_be_visible(timeout=60_000)
    step("preview")
    page.locator("#confirm").focus()
    page.keyboard.press("Space")

    expect(page.locator("[data-count=created]")).to_be_visible(timeout=60_000)
    step("result")
    job_id = ApiClient(served.api, tenant, "admin@shop.vn").history_imports(limit=1)["items"][0]["job_id"]
    result.job_id = job_id

    page.locator('#nav button[data-view="history"]').click()
    row = page.locator(f'#imports-table tr[data-job-id="{job_id}"]')
    expect(row.locator("button")).to_be_visible(timeout=30_000)
    step("history")
    row.locator("button").click()
    expect(page.locator("#rollback-result")).to_be_visible(timeout=60_000)
    step("rolled-back")

    page.locator('#nav button[data-view="export"]').click()
    page.locator("#start-export").click()
    link = page.locator("#export-result a").first
    expect(link).to_be_visible(timeout=60_000)
    step("export")
    with page.expect_download() as download:
        link.click()
    result.download = folder / download.value.suggested_filename
    download.value.save_as(result.download)

    page.locator('#nav button[data-view="settings"]').click()
    expect(page.locator("select[name=language]")).to_be_visible()
    step("settings")
    return result
