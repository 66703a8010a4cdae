"""The dashboard works offline: every script and stylesheet it names is one of the gateway's
own files, and none of them reaches for another origin."""

import re

from textmill_gateway.routes.dashboard import CONTENT_SECURITY_POLICY, DASHBOARD


def test_every_asset_the_page_names_is_served_by_the_gateway():
    # Given the page
    page = (DASHBOARD / "index.html").read_text()
    # When the scripts and stylesheets it names are picked
    named = re.findall(r'(?:src|href)="(/[^"#]*)"', page)
    # Then each is under /dashboard/ and is a file of the package
    assert named, "the page names no asset"
    for path in named:
        assert path.startswith("/dashboard/"), path
        assert (DASHBOARD / path.removeprefix("/dashboard/")).is_file(), path


def test_no_dashboard_file_reaches_for_another_origin():
    files = [p for p in DASHBOARD.iterdir() if p.suffix in (".html", ".js", ".css")]
    assert len(files) >= 4
    for path in files:
        assert not re.search(r"https?://|//cdn|@import url", path.read_text()), path.name


def test_the_page_allows_only_its_own_origin():
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_the_scripts_import_only_each_other():
    for path in DASHBOARD.glob("*.js"):
        for source in re.findall(r'from "([^"]+)"', path.read_text()):
            assert source.startswith("./") and (DASHBOARD / source[2:]).is_file(), source
