"""Generated tables of templated and structured strings beside free text, for the
profiler's structure signals: postal addresses, serialized tag lists, codes with words,
names, and the reviews, comments and descriptions that must stay on top."""

import json
import random

STREETS = "Main Oak Maple Cedar Elm Pine Park Lake Hill Church Mill River High Station".split()
KINDS = "St Street Ave Avenue Rd Road Lane Blvd Drive Way Close".split()
CITIES = [
    ("Springfield", "IL"),
    ("Portland", "OR"),
    ("Austin", "TX"),
    ("Denver", "CO"),
    ("Madison", "WI"),
    ("Boston", "MA"),
    ("Columbus", "OH"),
    ("Raleigh", "NC"),
    ("Salem", "MA"),
    ("Fairview", "TN"),
    ("Riverside", "CA"),
    ("Georgetown", "KY"),
]
FIRST = "Anna Ben Carla David Emma Felix Grace Henry Iris Jack Kate Liam Mia Noah Olivia".split()
LAST = "Smith Jones Brown Taylor Wilson Davies Evans Thomas Roberts Walker Wright".split()
TAGS = (
    "summer sale cotton organic kids women men outdoor vintage gift eco bestseller new "
    "limited wool denim linen premium basics travel home kitchen garden".split()
)
PRODUCTS = "Blue Widget|Steel Kettle|Oak Table|Wool Scarf|Red Mug|Garden Hose|Desk Lamp".split("|")
REVIEW_BITS = [
    "the kettle boils quickly and looks lovely on the counter",
    "it broke after a week and support never answered my emails",
    "great value for the price, I would happily buy it again",
    "the colour faded after two washes which was disappointing",
    "delivery was fast but the box arrived crushed",
    "my daughter loves it and wears it every single day",
    "the instructions were unclear so assembly took an hour",
    "comfortable, warm and well made, exactly as described",
]
COMMENTS = [
    "Could you send the invoice again? The first one never arrived.",
    "Thanks for the quick reply, that fixed it.",
    "I still see the error after updating, any ideas?",
    "Please cancel my order, I bought the wrong size.",
    "Works now, but the app is slow on older phones.",
    "Is there a discount for buying in bulk?",
]
DESCRIPTIONS = [
    "A sturdy stainless steel kettle with a 1.7 litre capacity and a cool-touch handle.",
    "Soft organic cotton scarf, woven in Portugal, machine washable at 30 degrees.",
    "Solid oak side table with a hand-oiled finish that brings out the natural grain.",
    "A compact desk lamp with three brightness levels and a flexible neck.",
    "Lightweight garden hose that does not kink, with a brass fitting at each end.",
]


def address(rng: random.Random) -> str:
    city, state = rng.choice(CITIES)
    unit = rng.choice(["", f"Apt {rng.randint(1, 40)}, ", f"Suite {rng.randint(100, 999)}, "])
    return (
        f"{unit}{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(KINDS)}, "
        f"{rng.choice(['', 'North ', 'West '])}{city}, {state} {rng.randint(10000, 99999)}, "
        "United States"
    )


def tag_list(rng: random.Random) -> str:
    tags = rng.sample(TAGS, rng.randint(4, 12))
    return rng.choice([json.dumps(tags), "|".join(tags), "; ".join(tags), str(tags)])


def code_with_words(rng: random.Random) -> str:
    size = rng.choice(["S", "M", "L", "XL"])
    extra = rng.choice(["", " Pack of 2", " Gift Edition", " Grey Oak Finish"])
    return f"SKU-{rng.randint(1000, 99999)} {rng.choice(PRODUCTS)} {size}{extra}"


def name(rng: random.Random) -> str:
    middle = f" {rng.choice(FIRST)[0]}." if rng.random() < 0.3 else ""
    return f"{rng.choice(FIRST)}{middle} {rng.choice(LAST)}"


def review(rng: random.Random) -> str:
    parts = rng.sample(REVIEW_BITS, rng.randint(1, 3))
    return ". ".join(p[0].upper() + p[1:] for p in parts) + "."


def comment(rng: random.Random) -> str:
    return " ".join(rng.sample(COMMENTS, rng.randint(1, 2)))


def description(rng: random.Random) -> str:
    return " ".join(rng.sample(DESCRIPTIONS, rng.randint(1, 2)))


def structured_table(rows: int = 400, seed: int = 7) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    makers = {
        "shipping_address": address,
        "tags": tag_list,
        "item": code_with_words,
        "customer": name,
        "review": review,
        "comment": comment,
        "description": description,
    }
    header = list(makers)
    return header, [[make(rng) for make in makers.values()] for _ in range(rows)]
