"""Damage done to protobuf messages by the fuzz tests: the cases every test shares."""

from __future__ import annotations

import random


def cut_or_flip(data: bytearray, rng: random.Random, how: int) -> bytearray:
    """`data` cut at a random byte (how 0) or with 1 to 4 random bits flipped (how 1)."""
    if how == 0:
        return data[: rng.randrange(len(data))]
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return data
