"""The coded values the demo writes, checked against :mod:`bangfu.core.vocab`, and weighted random draws of them.

The demo decides how often each value occurs; which values exist is the vocabulary's business. Every
code the builders write goes through :func:`code`, :func:`checked` or a draw here, so a code the
vocabulary does not know fails at import or at build time rather than in the shipped file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from bangfu.core.vocab import Vocabulary

__all__ = ["code", "checked", "draw_code", "draw_codes"]


def code(vocabulary: Vocabulary, value: str) -> str:
    """``value`` after checking that it is a code of ``vocabulary`` (KeyError naming the allowed codes)."""
    return vocabulary.term(value).code


def checked(vocabulary: Vocabulary, options: Mapping[str, float] | Sequence[str]) -> list[str]:
    """The codes of ``options`` (its keys, or its items) in their order, each checked against ``vocabulary``."""
    return [code(vocabulary, c) for c in options]


def draw_codes(
    rng: np.random.Generator, vocabulary: Vocabulary, options: Mapping[str, float] | Sequence[str], n: int | None
) -> np.ndarray:
    """``n`` codes drawn from ``options``: a mapping code → probability, or a sequence drawn uniformly.

    The draw is ``rng.choice`` over the options in their given order, so a given seed always picks
    the same codes whatever the vocabulary's display order.
    """
    codes = checked(vocabulary, options)
    if isinstance(options, Mapping):
        return np.asarray(rng.choice(codes, n, p=list(options.values())))
    return np.asarray(rng.choice(codes, n))


def draw_code(rng: np.random.Generator, vocabulary: Vocabulary, options: Mapping[str, float] | Sequence[str]) -> str:
    """One code drawn from ``options`` (see :func:`draw_codes`)."""
    return str(draw_codes(rng, vocabulary, options, None))
