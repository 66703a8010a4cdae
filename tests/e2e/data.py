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


def reviews_csv(rows: int = 200, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["review_id", "title", "body", "rating", "category", "created_at"])
    for _ in range(rows):
        product = rng.choice(["lamp", "kettle", "drill", "router"])
        body = f"{rng.choice(OPENERS)} {product} {rng.choice(VERDICTS)}. {rng.choice(EXTRAS)}"
        writer.writerow(
            [
                str(uuid.UUID(int=rng.getrandbits(128))),
                rng.choice(
                    ["Great value", "Broke quickly", "Does the job well", "Meh", "Love it so much"]
                ),
                body.strip(),
                rng.randint(1, 5),
                rng.choice(["tools", "kitchen", "garden", "office"]),
                f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            ]
        )
    return out.getvalue().encode()
