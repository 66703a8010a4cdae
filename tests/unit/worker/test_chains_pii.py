"""The pii chain: each kind of personal data found, validated, and redacted."""

import time

import pytest

from textmill_worker.domain.chains.pii import PiiChain

CHAIN = PiiChain()


def pii(text: str) -> dict:
    return CHAIN.analyse([text])[0]


def found(text: str) -> list[tuple[str, str]]:
    return [(e["type"], e["text"]) for e in pii(text)["entities"]]


@pytest.mark.parametrize(
    ("text", "kind", "value", "redacted"),
    [
        ("Write to jane.doe@example.com today", "email", "jane.doe@example.com", "[EMAIL]"),
        ("Call +44 20 7946 0958 after six", "phone", "+44 20 7946 0958", "[PHONE]"),
        ("Files at ftp://files.example.com/x today", "url", "ftp://files.example.com/x", "[URL]"),
        ("Manual at example.com/path today", "url", "example.com/path", "[URL]"),
        ("Paid with 4111 1111 1111 1111 yesterday", "card", "4111 1111 1111 1111", "[CARD]"),
        (
            "IBAN GB82 WEST 1234 5698 7654 32 please",
            "iban",
            "GB82 WEST 1234 5698 7654 32",
            "[IBAN]",
        ),
        ("Login from 192.168.10.24 failed", "ip", "192.168.10.24", "[IP]"),
        ("Login from 2001:db8::ff00:42:8329 failed", "ip", "2001:db8::ff00:42:8329", "[IP]"),
        ("Photos at https://example.com/p?id=7 now", "url", "https://example.com/p?id=7", "[URL]"),
    ],
)
def test_each_kind_is_found_with_its_span_and_redacted(
    text: str, kind: str, value: str, redacted: str
) -> None:
    # When a text holding one entity is analysed
    result = pii(text)
    # Then the entity's span points at it in the original text
    [entity] = result["entities"]
    start = text.index(value)
    entity.pop("normalized", None)
    assert entity == {"type": kind, "start": start, "end": start + len(value), "text": value}
    assert result["count"] == 1
    # And the redacted text replaces exactly that span
    assert result["redacted"] == text.replace(value, redacted)


def test_several_entities_come_in_text_order_and_are_all_redacted() -> None:
    text = "Mail a@b.org, visit www.shop.example/x. Or ring 020 7946 0958."
    result = pii(text)
    assert [e["type"] for e in result["entities"]] == ["email", "url", "phone"]
    assert result["redacted"] == "Mail [EMAIL], visit [URL]. Or ring [PHONE]."


def test_a_sixteen_digit_number_failing_luhn_is_not_a_card() -> None:
    assert found("Order 4111 1111 1111 1112 shipped") == []


@pytest.mark.parametrize("card", ["4111111111111111", "4111-1111-1111-1111", "378282246310005"])
def test_valid_test_cards_are_found_in_their_usual_spellings(card: str) -> None:
    assert found(f"card {card}.") == [("card", card)]


@pytest.mark.parametrize("text", ["order 1234567812345670", "tracking 4111111111111111 shipped"])
def test_a_number_passing_luhn_without_card_context_or_layout_is_not_a_card(text: str) -> None:
    assert [kind for kind, _ in found(text)] != ["card"]


@pytest.mark.parametrize(
    "text",
    [
        "paid with visa 4111111111111111",
        "my credit card is 5555555555554444",
        "cc: 378282246310005",
    ],
)
def test_a_card_word_before_the_number_makes_it_a_card(text: str) -> None:
    assert [kind for kind, _ in found(text)] == ["card"]


@pytest.mark.parametrize("card", ["4111 1111 1111 1111", "3782 822463 10005"])
def test_a_cards_printed_layout_makes_it_a_card_without_a_word(card: str) -> None:
    assert found(f"ref {card} ok") == [("card", card)]


def test_a_number_no_issuer_starts_with_is_not_a_card_even_after_a_card_word() -> None:
    assert [kind for kind, _ in found("card 1234567812345670")] == []


def test_a_card_inside_a_longer_run_of_numbers_is_still_found() -> None:
    assert found("ref 2024 4111 1111 1111 1111") == [("card", "4111 1111 1111 1111")]


def test_an_iban_with_a_wrong_check_digit_is_not_an_iban() -> None:
    assert found("IBAN GB83 WEST 1234 5698 7654 32") == []


def test_a_compact_lowercase_iban_is_found() -> None:
    assert found("iban: de89370400440532013000.") == [("iban", "de89370400440532013000")]


@pytest.mark.parametrize("text", ["999.1.1.1", "1.2.3.4.5", "10:30:45", "Foo::bar"])
def test_invalid_addresses_are_not_ips(text: str) -> None:
    assert [kind for kind, _ in found(f"host {text} down")] == []


@pytest.mark.parametrize(
    ("phone", "normalized"),
    [
        ("(415) 555-2671", "+14155552671"),
        ("415.555.2671", "+14155552671"),
        ("4155552671", "+14155552671"),
        ("+1 415 555 2671", "+14155552671"),
        ("020 7946 0958", "+442079460958"),
        ("07946 095812", "+447946095812"),
        ("030/1234567", "+49301234567"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_phones_are_validated_and_normalised_by_phonenumbers(phone: str, normalized: str) -> None:
    [entity] = pii(f"ring {phone} now")["entities"]
    assert (entity["type"], entity["text"], entity["normalized"]) == ("phone", phone, normalized)


def test_a_local_number_without_its_area_code_is_a_phone_in_a_nanp_region() -> None:
    [entity] = pii("call me on 555-1234 tonight")["entities"]
    assert (entity["text"], entity["normalized"]) == ("555-1234", "5551234")


def test_a_number_shaped_like_a_phone_but_invalid_is_not_a_phone() -> None:
    # 555 is no North American area code; 0000 000 000 is nobody's
    assert found("ring (555) 123-4567 or 0000 000 000") == []


def test_the_default_region_decides_numbers_written_without_a_trunk_prefix() -> None:
    # Given a French mobile number written without its 0, in a chain for France
    french = PiiChain(phone_regions=("FR",))
    [result] = french.analyse(["appelez le 612345678"])
    # Then it is a phone there, and not in a chain whose default region is the US
    assert [e["normalized"] for e in result["entities"]] == ["+33612345678"]
    assert found("appelez le 612345678") == []


@pytest.mark.parametrize(
    "text",
    [
        "in 2019 and 2020",
        "years 2019 2020 2021",
        "on 12.05.2023",
        "on 2023-01-15",
        "costs 1.234.567",
        "order 12345678",
        "rated 4.5 of 5",
    ],
)
def test_years_dates_and_plain_numbers_are_not_phones(text: str) -> None:
    assert found(text) == []


def test_an_email_wins_over_the_url_inside_it() -> None:
    assert found("write to info@www.example.com") == [("email", "info@www.example.com")]


def test_a_url_keeps_its_closing_bracket_but_not_sentence_punctuation() -> None:
    assert found("see (https://en.wikipedia.org/wiki/Kettle_(appliance)).") == [
        ("url", "https://en.wikipedia.org/wiki/Kettle_(appliance)")
    ]


@pytest.mark.parametrize("text", ["Node.js and file.txt", "fit.It was great", "see e.g. this"])
def test_dotted_words_that_are_no_hosts_are_not_urls(text: str) -> None:
    assert found(text) == []


def test_a_bare_host_with_a_known_domain_is_a_url_without_its_full_stop() -> None:
    assert found("Visit example.com.") == [("url", "example.com")]


def test_a_card_wins_over_a_phone_reading_of_its_digits() -> None:
    assert found("+1 4111 1111 1111 1111") == [("card", "4111 1111 1111 1111")]


def test_text_without_personal_data_is_returned_unchanged() -> None:
    text = "The kettle is great, 5 stars!"
    assert pii(text) == {"entities": [], "redacted": text, "count": 0}


@pytest.mark.parametrize(
    "unit",
    ["1 ", "1", "a@", "a.", "0-", ":"],
)
def test_hostile_strings_are_scanned_in_linear_time(unit: str) -> None:
    # Given a hostile string and one four times as long (100,000 characters): a scan that
    # backtracks takes 16 times as long on the second, a linear one about 4 times
    def cpu_seconds(repeats: int) -> float:
        """The least of 3 scans: CPU, not wall (other work on the machine), and the least,
        as a busy machine's caches inflate a CPU clock too (0.14 s for 0.04 once in CI)."""
        text = unit * repeats + ("@" if unit == "a." else "")
        times = []
        for _ in range(3):
            started = time.process_time()
            pii(text)
            times.append(time.process_time() - started)
        return min(times)

    small, large = cpu_seconds(25_000 // len(unit)), cpu_seconds(100_000 // len(unit))
    # Then the longer takes less than 8 times as long (and a few ms of noise)
    assert large < 8 * small + 0.01
