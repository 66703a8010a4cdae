"""Deterministic benchmark tables: product reviews with three free-text columns."""

import csv
import random
from pathlib import Path

WORDS = (
    "good bad great terrible love hate quality price fast slow broken works battery screen "
    "delivery support refund cheap expensive solid flimsy recommend avoid again never always "
    "product order box size colour fit comfortable noisy quiet easy hard setup manual app"
).split()
COLUMNS = [
    "review_id",
    "product_sku",
    "title",
    "review",
    "pros_cons",
    "rating",
    "verified",
    "category",
    "created_at",
    "helpful_votes",
]


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + rng.choice([".", "!", "?", "."])


def write_reviews(path: Path, rows: int, seed: int = 0) -> Path:
    """`rows` × 10 columns, 3 of them free text (title, review, pros_cons)."""
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(rows):
            writer.writerow(
                [
                    f"r-{seed}-{i:08d}",
                    f"SKU-{rng.randint(1000, 9999)}",
                    sentence(rng, 2, 6),
                    " ".join(sentence(rng, 6, 14) for _ in range(rng.randint(1, 3))),
                    sentence(rng, 4, 12),
                    rng.randint(1, 5),
                    rng.choice(["yes", "no"]),
                    rng.choice(["tools", "kitchen", "garden", "office", "toys", "books"]),
                    f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.randint(0, 500),
                ]
            )
    return path
