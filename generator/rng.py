"""Seeded random streams.

Every stream is derived from (seed, tenant index, purpose, ...) through numpy's SeedSequence, so
what one customer draws never depends on how many others were simulated before it, nor on
chunking. Scalar draws use ``random.Random`` (fast per call); vector draws use numpy.
"""

from __future__ import annotations

import random
import zlib

import numpy as np


def _entropy(seed: int, keys: tuple[int | str, ...]) -> list[int]:
    out = [seed & 0xFFFFFFFFFFFFFFFF]
    for key in keys:
        out.append(zlib.crc32(key.encode()) if isinstance(key, str) else key & 0xFFFFFFFFFFFFFFFF)
    return out


def np_rng(seed: int, *keys: int | str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(_entropy(seed, keys)))


def py_rng(seed: int, *keys: int | str) -> random.Random:
    state = np.random.SeedSequence(_entropy(seed, keys)).generate_state(2, np.uint64)
    return random.Random(int(state[0]) << 64 | int(state[1]))


def weighted(r: random.Random, options: dict[str, float]) -> str:
    """One key of ``options`` drawn with the given weights."""
    return r.choices(list(options), weights=list(options.values()))[0]


def poisson(r: random.Random, lam: float) -> int:
    """Small-lambda Poisson draw (Knuth); lambdas here are below ~20."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(r.gauss(lam, lam**0.5)))
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= r.random()
        if p <= limit:
            return k
        k += 1
