"""The one table of error codes (`errors.STATUS`): every code the gateway can answer with is
in it, with the status the README's errors table gives it."""

import re
from pathlib import Path

import pytest

import textmill_tabular
from textmill_gateway.errors import STATUS, problem_body, status_of
from textmill_infra.blobs import StoredFileMissing
from textmill_tabular import TabularError

ROOT = Path(__file__).resolve().parents[3]
GATEWAY = ROOT / "services" / "gateway" / "textmill_gateway"


def readme_codes() -> dict[str, int]:
    """(code → status) of the README's errors table, `| 404 | `a` / `b` | when |` rows."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Errors", 1)[1].split("\n## ", 1)[0]
    codes = {}
    for status, names in re.findall(r"^\| (\d{3}) \| ([^|]+) \|", section, re.MULTILINE):
        for code in re.findall(r"`([a-z_]+)`", names):
            codes[code] = int(status)
    return codes


def raised_codes() -> set[str]:
    """The codes the gateway's code refuses with: `Refusal("code", ...)`, and
    `not_found("kind", ...)` (code `<kind>_not_found`)."""
    source = "\n".join(path.read_text() for path in GATEWAY.rglob("*.py"))
    codes = set(re.findall(r'Refusal\(\s*"([a-z_]+)"', source))
    codes |= {f"{kind}_not_found" for kind in re.findall(r'not_found\("([a-z_]+)"', source)}
    return codes | {"invalid_request", "unauthorized", "forbidden"}


def tabular_codes() -> set[str]:
    errors = [getattr(textmill_tabular, name) for name in textmill_tabular.__all__]
    return {e.code for e in errors if isinstance(e, type) and issubclass(e, TabularError)}


def test_the_readme_and_the_table_give_every_code_the_same_status():
    # Given the README's errors table (the framework's own codes, such as a 405, aside)
    documented = readme_codes()
    # Then it lists exactly the codes of the table, with the same statuses
    assert documented == {code: status for code, status in STATUS.items() if code in documented}
    assert set(STATUS) - set(documented) <= {"tabular_error"}  # the base class, never raised


def test_every_code_the_gateway_refuses_with_has_its_status():
    assert raised_codes() - set(STATUS) == set()


def test_every_tabular_error_and_a_missing_stored_file_have_their_status():
    assert tabular_codes() - set(STATUS) == set()
    assert StoredFileMissing.code in STATUS


@pytest.mark.parametrize(("code", "status"), sorted(STATUS.items()))
def test_a_problem_document_carries_the_status_of_its_code(code, status):
    body = problem_body(code, "why", instance="/api/v2/x")
    assert (body["status"], body["code"], body["type"]) == (
        status,
        code,
        f"https://textmill.dev/problems/{code}",
    )


def test_a_code_missing_from_the_table_is_a_server_error():
    assert status_of("no_such_code") == 500
