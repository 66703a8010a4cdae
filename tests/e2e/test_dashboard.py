"""The dashboard in Debian's Chromium, driven by Playwright: a whole run (sign in with the
keyboard, upload, profile, choose, estimate, start, live progress to completed, chart and
results shown, an export downloaded) and a failing upload. Screenshots (1280×800 and phone
width) are written to tests/artifacts/."""

import csv
import io
from pathlib import Path

import pytest

from tests.e2e.conftest import new_tenant_client
from tests.e2e.data import reviews_csv

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROWS = 3_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: make install puts Debian's chromium in /usr/bin")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def key(admin) -> str:
    with new_tenant_client(admin) as client:
        return client.headers["authorization"].split(" ", 1)[1]


def sign_in_with_the_keyboard(page, gateway_url: str, key: str) -> None:
    page.goto(gateway_url)
    page.get_by_label("API key").focus()
    page.keyboard.type(key)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="1. Upload a file").wait_for()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_a_whole_run_in_the_dashboard(page, gateway_url, key, tmp_path):
    from playwright.sync_api import expect

    # Given a signed-in person (the key typed, never in the address) and a review file
    sign_in_with_the_keyboard(page, gateway_url, key)
    assert key not in page.url
    assert page.evaluate("sessionStorage.getItem('textmill.api-key')") == key
    reviews = tmp_path / "reviews.csv"
    reviews.write_bytes(reviews_csv(ROWS))
    # When the file is uploaded, the profile shows the review body ranked first and chosen
    page.get_by_label("CSV, TSV, JSON, JSONL, Parquet or Excel file").set_input_files(reviews)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#candidates tbody tr").first).to_contain_text("body")
    expect(page.get_by_label("body", exact=True)).to_be_checked()
    expect(page.get_by_role("progressbar", name="Upload progress")).to_have_attribute(
        "value", "100"
    )
    # And the language chain is added, the run estimated and started
    page.get_by_label("language").check()
    page.get_by_role("button", name="Estimate").click()
    expect(page.locator("#estimate")).to_contain_text(f"{ROWS:,}")
    page.get_by_role("button", name="Start the run").click()
    # Then the progress reaches completed, with the live label chart filled in
    expect(page.locator("#run-status")).to_contain_text("completed", timeout=180_000)
    expect(page.get_by_role("progressbar", name="body")).to_have_attribute("value", str(ROWS))
    expect(page.locator("#live-chart")).to_contain_text("positive")
    # And the results table pages, the summary charts are shown
    expect(page.locator("#results-table tbody tr")).to_have_count(25)
    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#page-label")).to_have_text("Page 2")
    expect(page.locator("#summary")).to_contain_text("body: sentiment")
    expect(page.locator("#summary")).to_contain_text("body: languages")
    expect(page.locator("#runs-table")).to_contain_text("completed")
    shot(page, "dashboard-completed-1280x800.png")
    # And an export downloads with every row
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    assert len(list(csv.DictReader(io.StringIO(saved.read_text())))) == ROWS
    # And after a reload (still signed in, for the tab's session) the run opens from the list
    run_id = page.locator("#run-status").text_content().split()[1].rstrip(":")
    page.reload()
    page.get_by_role("button", name=f"Open run {run_id}").click()
    expect(page.locator("#run-status")).to_contain_text("completed")
    expect(page.locator("#live-chart")).to_contain_text("positive")
    expect(page.locator("#results-table tbody tr")).to_have_count(25)
    # And at phone width nothing overflows sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#run").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "dashboard-completed-phone.png")


def test_a_failing_upload_shows_its_error(page, gateway_url, key, tmp_path):
    from playwright.sync_api import expect

    # Given a signed-in person and a PDF named as a spreadsheet
    sign_in_with_the_keyboard(page, gateway_url, key)
    fake = tmp_path / "report.csv"
    fake.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    # When it is uploaded
    page.get_by_label("CSV, TSV, JSON, JSONL, Parquet or Excel file").set_input_files(fake)
    page.get_by_role("button", name="Upload").click()
    # Then the alert says what went wrong, with the problem's code, and no profile appears
    alert = page.locator("#upload-error")
    expect(alert).to_contain_text("unsupported_format")
    expect(alert).to_have_attribute("role", "alert")
    expect(page.locator("#profile")).to_be_hidden()
    shot(page, "dashboard-failed-upload.png")


def test_a_wrong_key_is_refused_at_sign_in(page, gateway_url):
    from playwright.sync_api import expect

    page.goto(gateway_url)
    page.get_by_label("API key").fill("tm_not_a_key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_contain_text("unauthorized")
    assert page.evaluate("sessionStorage.getItem('textmill.api-key')") is None


def test_the_page_and_its_assets_are_served_without_a_key(anonymous):
    page = anonymous.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/dashboard/app.js", "/dashboard/api.js", "/dashboard/style.css"):
        assert anonymous.get(asset).status_code == 200, asset
