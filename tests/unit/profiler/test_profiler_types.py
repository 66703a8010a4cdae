"""Type inference over a column's sampled values."""

import pytest

from textmill_profiler.domain.types import infer_type


def infer(values: list[str], distinct: int | None = None) -> str:
    distinct_values = len(set(values)) if distinct is None else distinct
    return infer_type(values, distinct_values=distinct_values, non_null=len(values))


def test_no_values_is_empty() -> None:
    """Given no non-null value, then the column is empty."""
    assert infer_type([], distinct_values=0, non_null=0) == "empty"


@pytest.mark.parametrize("tokens", [["yes", "no"], ["True", "FALSE"], ["0", "1"], ["Y", "n"]])
def test_two_valued_flags_are_bool(tokens: list[str]) -> None:
    """Given yes/no-like flags, then the column is bool."""
    assert infer(tokens * 20) == "bool"


def test_whole_numbers_are_integer() -> None:
    """Given whole numbers, some signed or comma-grouped, then the column is integer."""
    assert infer([str(n) for n in range(2, 90)] + ["-4", "+12", "1,234,567"]) == "integer"


def test_whole_numbers_with_leading_zeros_are_ids() -> None:
    """Given zero-padded numbers, then they are codes, not quantities."""
    assert infer([f"{n:06d}" for n in range(100)]) == "id"


def test_decimals_are_float() -> None:
    """Given decimals mixed with a few whole numbers, currencies and percentages, then float."""
    values = [f"{n / 7:.3f}" for n in range(80)] + ["12", "1,234.5", "$9.99", "15%", "1e-3"]
    assert infer(values) == "float"


def test_decimal_commas_are_not_numbers() -> None:
    """Given European decimal commas, then the column is not read as numbers."""
    assert infer([f"{n},5" for n in range(100, 200)]) not in {"integer", "float"}


@pytest.mark.parametrize(
    "template",
    [
        "2024-03-{day:02d}",
        "2024-03-{day:02d}T10:15:00Z",
        "2024-03-{day:02d} 10:15:00",
        "{day:02d}/03/2024",
        "03/{day:02d}/2024 09:30",
        "{day}.3.2024",
        "{day} Mar 2024",
        "March {day}, 2024",
    ],
)
def test_common_date_formats_are_datetime(template: str) -> None:
    """Given ISO, d/m/Y, m/d/Y, dotted and spelled-out dates, then the column is datetime."""
    assert infer([template.format(day=day) for day in range(1, 29)]) == "datetime"


def test_addresses_are_email() -> None:
    """Given e-mail addresses, then the column is email."""
    assert infer([f"user{n}@mail.example.com" for n in range(50)]) == "email"


def test_links_are_url() -> None:
    """Given http(s) and www links, then the column is url."""
    values = [f"https://example.com/items/{n}?ref=x" for n in range(40)] + ["www.example.org/a"]
    assert infer(values) == "url"


@pytest.mark.parametrize(
    "values",
    [
        [f"{n:08x}-1b2c-4d3e-8f90-{n:012x}" for n in range(60)],
        [f"AB-{10000 + n}" for n in range(60)],
        [f"{n * 7919:x}a3f9c2" for n in range(60)],
        [f"ORD{n:07d}X" for n in range(60)],
    ],
)
def test_distinct_tokens_are_ids(values: list[str]) -> None:
    """Given UUIDs, SKU-like codes, hex digests and digit-heavy tokens, then id."""
    assert infer(values) == "id"


def test_few_repeated_short_labels_are_categorical() -> None:
    """Given five labels repeated over many rows, then the column is categorical."""
    labels = ["Home & Kitchen", "Toys", "Garden", "Sports", "Beauty"]
    assert infer(labels * 40) == "categorical"


def test_repeated_codes_are_categorical_rather_than_ids() -> None:
    """Given a handful of product codes repeated over many rows, then categorical."""
    assert infer([f"SKU-{n % 12}0" for n in range(300)]) == "categorical"


def test_labels_with_a_tiny_distinct_ratio_are_categorical_whatever_their_count() -> None:
    """Given 200 distinct short labels over 10,000 values (2 %), then categorical."""
    values = [f"city {chr(65 + n % 26)}{n % 200}" for n in range(2_000)]
    assert infer_type(values, distinct_values=200, non_null=10_000) == "categorical"


def test_sentences_are_text() -> None:
    """Given varied sentences, then the column is text."""
    values = [f"The parcel number {n} arrived late but intact." for n in range(100)]
    assert infer(values) == "text"


def test_a_type_needs_ninety_percent_of_the_sample() -> None:
    """Given 85 % integers and 15 % words, then the column is not integer."""
    values = [str(n) for n in range(85)] + [f"unknown value {n}" for n in range(15)]
    assert infer(values) != "integer"


def test_a_few_stray_values_do_not_break_a_majority() -> None:
    """Given 95 % integers and 5 % stray words, then the column is still integer."""
    values = [str(n) for n in range(95)] + ["unknown"] * 5
    assert infer(values) == "integer"
