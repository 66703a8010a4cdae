"""The labelled PII set of `make bench-quality`: texts written from templates of reviews and
support messages, each with the entities a reader would redact (type and text), plus texts
whose numbers are not personal data (orders, dates, prices, versions, tracking numbers).

`python -m bench.pii_set` writes bench/data/pii.jsonl; the set is seeded, so it is the same
each time."""

import json
import random
from pathlib import Path

OUT = Path(__file__).parent / "data" / "pii.jsonl"
EMAILS = [
    "jane.doe@example.com",
    "m.rossi@posta.it",
    "support+orders@shop.co.uk",
    "k_lee@uni.edu",
    "anna@müller.de",
    "ops@data-center.io",
]
PHONES = [
    "(415) 555-2671",
    "415-555-2671",
    "415.555.2671",
    "4155552671",
    "+1 415 555 2671",
    "+44 20 7946 0958",
    "020 7946 0958",
    "07946 095812",
    "+33 6 12 34 56 78",
    "0044 20 7946 0958",
    "+49 30 901820",
    "555-1234",
    "+61 2 9374 4000",
    "(212) 736-5000",
]
CARDS_LAID_OUT = [
    "4111 1111 1111 1111",
    "5555-5555-5555-4444",
    "3782 822463 10005",
    "6011 1111 1111 1117",
    "4012 8888 8888 1881",
]
CARDS_PLAIN = ["4111111111111111", "5105105105105100", "378282246310005", "6011000990139424"]
IBANS = [
    "GB82 WEST 1234 5698 7654 32",
    "DE89 3704 0044 0532 0130 00",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91ABNA0417164300",
    "es9121000418450200051332",
]
IPS = ["192.168.10.24", "10.0.0.1", "2001:db8::ff00:42:8329", "172.16.254.3"]
URLS = [
    "https://example.com/p?id=7",
    "http://shop.example.org/returns",
    "www.kettles.co.uk/help",
    "ftp://files.example.com/manual.pdf",
    "example.com/path",
    "docs.example.io/setup",
    "amazon.co.uk",
]
TEMPLATES = {
    "email": [
        "Please write to {} about the refund.",
        "My address is {}, reply there.",
        "Contact {} if the kettle leaks again",
        "sent the photos to {} yesterday",
    ],
    "phone": [
        "Call {} after six.",
        "You can reach me on {} any time",
        "call me at {} about the order",
        "My number: {}. Thanks!",
        "Ring {} please",
    ],
    "card": [
        "I paid with my card {} and was charged twice.",
        "visa {} was declined",
        "Charged to credit card {} without my consent",
        "payment from {} failed at checkout",
    ],
    "iban": ["Refund to IBAN {} please.", "my bank account is {}", "Send it to {} asap"],
    "ip": ["Login from {} was blocked", "the server at {} is down", "requests come from {}"],
    "url": [
        "The manual is at {} if you need it.",
        "I followed {} but it did not help",
        "see {} for details",
        "Found it cheaper at {}!",
    ],
}
NEGATIVES = [
    "order 1234567812345670 arrived late",
    "Order #4111111111111111 was split in two",
    "tracking 5555555555554444 shows nothing",
    "Delivered on 12.05.2023 at 10:30",
    "It cost 1,299.00 in 2023",
    "version 10.2.3 fixed the bug",
    "rated 4.5 of 5 stars",
    "years 2019 2020 2021 were good",
    "SKU 4155552671-B is out of stock",
    "invoice 20240315 paid",
    "I waited 45 minutes on hold",
    "Room 4155 was noisy",
    "model WX-2000 series 3",
    "Great fit. Runs small, e.g. order a size up.",
    "Node.js and file.txt are fine",
    "the seam.It tore on day one",
    "batch 0000 0000 0000 0000",
    "ISBN 978-3-16-148410-0",
    "Lot 12/03/1985 expired",
    "Scored 100/100 in the review",
    "the price went from 19.99 to 24.99",
    "ref 2024-0042-7781",
    "PIN 1234 did not work",
    "call center was closed",
    "email was never answered",
    "www is not a website",
]


def build(seed: int = 23) -> list[dict]:
    rng = random.Random(seed)
    values = {
        "email": EMAILS,
        "phone": PHONES,
        "card": CARDS_LAID_OUT + CARDS_PLAIN,
        "iban": IBANS,
        "ip": IPS,
        "url": URLS,
    }
    cases: list[dict] = []
    for kind, templates in TEMPLATES.items():
        for value in values[kind]:
            for template in templates:
                if (
                    kind == "card"
                    and value in CARDS_PLAIN
                    and "card" not in template.lower()
                    and "visa" not in template
                    and "pay" not in template
                ):
                    continue
                cases.append(
                    {"text": template.format(value), "entities": [{"type": kind, "text": value}]}
                )
    for _ in range(140):  # two entities in one text
        a, b = rng.sample(list(TEMPLATES), 2)
        va, vb = rng.choice(values[a]), rng.choice(values[b])
        if "card" in (a, b):
            continue
        text = f"{rng.choice(TEMPLATES[a]).format(va)} {rng.choice(TEMPLATES[b]).format(vb)}"
        cases.append({"text": text, "entities": [{"type": a, "text": va}, {"type": b, "text": vb}]})
    cases += [{"text": text, "entities": []} for text in NEGATIVES]
    return cases


if __name__ == "__main__":
    OUT.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in build()))
    print(f"{len(build())} texts written to {OUT}")
