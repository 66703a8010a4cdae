"""Realistic small tables for end-to-end tests, generated deterministically."""

import csv
import io
import random
import uuid

OPENERS = [
    "I bought this",
    "We ordered the",
    "After two weeks with the",
    "My partner gave me the",
    "Tried the",
]
VERDICTS = [
    "and it works far better than I expected, the setup took five minutes",
    "but the battery died after a day and support never answered my emails",
    "which feels solid, though the instructions were confusing and incomplete",
    "and honestly it is the best purchase I made this year, highly recommended",
    "yet it arrived scratched, the box was crushed and a screw was missing",
]
EXTRAS = ["Would buy again.", "Not worth the price.", "Shipping was quick.", "Returned it.", ""]


TITLES = ["Great value", "Broke quickly", "Does the job well", "Meh", "Love it so much"]


def review_records(rows: int = 200, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for _ in range(rows):
        product = rng.choice(["lamp", "kettle", "drill", "router"])
        body = f"{rng.choice(OPENERS)} {product} {rng.choice(VERDICTS)}. {rng.choice(EXTRAS)}"
        records.append(
            {
                "review_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "title": rng.choice(TITLES),
                "body": body.strip(),
                "rating": rng.randint(1, 5),
                "category": rng.choice(["tools", "kitchen", "garden", "office"]),
                "created_at": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            }
        )
    return records


def reviews_csv(rows: int = 200, seed: int = 7) -> bytes:
    records = review_records(rows, seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode()
