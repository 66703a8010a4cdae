"""Realistic tables for the profiler's domain tests, generated from seeded word lists.

Each fixture returns (header, rows); rows are lists of strings as a CSV reader gives them.
"""

import random
import uuid
from datetime import date, timedelta

import pytest

Table = tuple[list[str], list[list[str]]]

FIRST_NAMES = "Ana Ben Chloe Dev Emma Farid Grace Hugo Ines Jon Kai Lena Mateo Nora Omar".split()
LAST_NAMES = "Smith Garcia Novak Okafor Tanaka Muller Rossi Silva Kowalski Dubois Larsen".split()
SUBJECTS = (
    "The battery; The fabric; This blender; The customer service team; The zipper; Shipping; "
    "The instruction manual; The screen; The handle; The packaging; My daughter; The colour; "
    "The lid; The companion app; The charging cable"
).split("; ")
VERBS = (
    "works; feels; looks; broke; arrived; lasts; performs; held up; stopped working; fits; "
    "surprised me; disappointed us"
).split("; ")
COMPLEMENTS = (
    "much better than I expected; after only three days; perfectly in our small kitchen; "
    "exactly as described on the website; a bit cheap for what it costs; surprisingly well "
    "during a long camping trip; two weeks later than promised; like a premium product; fine "
    "for everyday use; worse after the first wash; even though the box was damaged; without "
    "any problems so far"
).split("; ")
ASIDES = (
    "I would buy it again.; Not sure I would recommend it to a friend.; Five stars from me!; "
    "Would love a version in blue.; Returned it the next day.; Honestly, no complaints.; My "
    "neighbour ordered one after seeing mine.; Customer support replied within an hour.; It "
    "makes a strange noise when it starts?; Great value for money overall."
).split("; ")
TITLE_WORDS = (
    "great value solid build cheap feel love it broke fast works fine would not buy again "
    "perfect gift too small does the job better than expected flimsy lid quiet and powerful"
).split(" ")
CATEGORIES = ("Home & Kitchen; Electronics; Toys; Garden; Sports; Beauty").split("; ")
PROBLEMS = (
    "cannot log in to my account; was charged twice for my order; never received the refund; "
    "the app crashes when uploading photos; the invoice shows the wrong address; my password "
    "reset email never arrives; the export to PDF is empty; the delivery was left at the "
    "wrong door"
).split("; ")
LIKES = (
    "the staff were friendly and quick; delivery was faster than promised; the website is "
    "easy to use; prices are fair compared to other shops; support solved my issue on the "
    "first call; the product quality is excellent"
).split("; ")
IMPROVEMENTS = (
    "the checkout keeps timing out on mobile; more payment options would help; the return "
    "process takes far too long; opening hours should be longer on weekends; emails from you "
    "arrive far too often; the app needs a dark mode"
).split("; ")
COUNTRIES = ("France; Germany; United Kingdom; Spain; Italy; Poland; Japan; Brazil").split("; ")


def sentence(rng: random.Random) -> str:
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(COMPLEMENTS)}"
    if rng.random() < 0.3:
        opener = rng.choice(["Honestly", "Sadly", "To be fair", "Overall"])
        text = f"{opener}, {text[0].lower()}{text[1:]}"
    return text + rng.choice([".", ".", "!"])


def prose(rng: random.Random, min_words: int, max_words: int) -> str:
    target = rng.randint(min_words, max_words)
    parts: list[str] = []
    while sum(len(part.split()) for part in parts) < target:
        parts.append(rng.choice(ASIDES) if rng.random() < 0.25 else sentence(rng))
    return " ".join(" ".join(parts).split()[:target])


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def iso_day(rng: random.Random) -> date:
    return date(2023, 1, 1) + timedelta(days=rng.randrange(600))


def blank(rng: random.Random) -> str:
    return rng.choice(["", " ", "n/a", "NULL", "-"])


@pytest.fixture
def reviews_table() -> Table:
    rng = random.Random(11)
    skus = [f"{rng.choice(['AB', 'KT', 'MZ'])}-{rng.randint(10000, 99999)}" for _ in range(40)]
    header = [
        "review_id",
        "product_sku",
        "title",
        "body",
        "rating",
        "verified",
        "created_at",
        "product_category",
        "reviewer_name",
    ]
    rows = []
    for _ in range(400):
        title = " ".join(rng.choice(TITLE_WORDS) for _ in range(rng.randint(3, 8))).capitalize()
        rows.append(
            [
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                rng.choice(skus),
                title,
                prose(rng, 15, 80),
                str(rng.randint(1, 5)),
                rng.choice(["yes", "no"]),
                iso_day(rng).isoformat(),
                rng.choice(CATEGORIES),
                person(rng),
            ]
        )
    return header, rows


@pytest.fixture
def support_tickets() -> Table:
    rng = random.Random(22)
    agents = [rng.choice(FIRST_NAMES) for _ in range(8)]
    header = [
        "ticket_id",
        "customer_email",
        "subject",
        "description",
        "priority",
        "status",
        "agent",
        "opened_at",
        "url",
    ]
    rows = []
    for number in range(300):
        problem = rng.choice(PROBLEMS)
        description = (
            f"Hello, {problem} since {iso_day(rng):%B %d}. "
            f"{prose(rng, 20, 90)} Please help, I have tried {rng.randint(2, 9)} times already."
        )
        name = person(rng).lower().replace(" ", ".")
        rows.append(
            [
                f"TCK-{100000 + number}",
                f"{name}{rng.randint(1, 99)}@example.com",
                f"{rng.choice(['Urgent:', 'Question:', 'Help -', 'Issue:'])} {problem}",
                description,
                rng.choice(["low", "medium", "high"]),
                rng.choice(["open", "pending", "resolved", "closed"]),
                rng.choice(agents),
                f"{iso_day(rng)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
                f"https://support.example.com/tickets/{100000 + number}",
            ]
        )
    return header, rows


def answer(rng: random.Random, phrases: list[str], blank_share: float) -> str:
    if rng.random() < blank_share:
        return blank(rng)
    if rng.random() < 0.2:
        return rng.choice(["Fast delivery", "Nothing really", "Good prices", "All good"])
    text = rng.choice(phrases).capitalize() + rng.choice([".", "", "!"])
    if rng.random() < 0.5:
        text += " " + prose(rng, 5, 25)
    return text


@pytest.fixture
def survey_table() -> Table:
    rng = random.Random(33)
    header = [
        "respondent_id",
        "age",
        "country",
        "q1_score",
        "what_did_you_like",
        "what_to_improve",
        "nps_category",
    ]
    rows = [
        [
            f"R{number:05d}",
            str(rng.randint(18, 80)),
            rng.choice(COUNTRIES),
            str(rng.randint(1, 10)),
            answer(rng, LIKES, 0.2),
            answer(rng, IMPROVEMENTS, 0.3),
            rng.choice(["promoter", "passive", "detractor"]),
        ]
        for number in range(350)
    ]
    return header, rows


@pytest.fixture
def no_text_table() -> Table:
    rng = random.Random(44)
    header = [
        "order_id",
        "quantity",
        "unit_price",
        "ordered_on",
        "status",
        "customer_email",
        "product_url",
        "gift_wrap",
        "sku",
        "country",
    ]
    rows = []
    for _ in range(300):
        day = iso_day(rng)
        rows.append(
            [
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                str(rng.randint(1, 12)),
                f"{rng.uniform(1, 500):.2f}",
                f"{day:%d/%m/%Y}",
                rng.choice(["paid", "shipped", "delivered", "returned"]),
                f"{person(rng).lower().replace(' ', '_')}@shop.example.org",
                f"https://shop.example.org/p/{rng.randint(1000, 9999)}?ref=mail",
                rng.choice(["true", "false"]),
                f"SKU-{rng.randint(100000, 999999)}",
                rng.choice(COUNTRIES),
            ]
        )
    return header, rows
