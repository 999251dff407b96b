"""Row-sorted point index: all points within a distance of many segments/points, vectorised in numpy.

Points are sorted into horizontal rows of height ``h`` and by x inside a row, so the points of one
row between two x values are one contiguous slice of the sorted order. A feature is a set of
*capsules* (a segment, or a point as a zero-length segment, dilated by a radius). For every
capsule and row it touches we compute two x-intervals exactly from the capsule's chords:

* outer: the x-extent of (capsule at radius ``r_out``) ∩ row band — every point within ``r_out``
  of the segment lies in it;
* inner: the x-interval whose whole vertical row-band segment lies inside the capsule at radius
  ``r_in`` (by convexity: the intersection of the chords at the band's two edges) — every point in
  it is within ``r_in``.

Both are turned into slices of the sorted order (``searchsorted``), merged per feature (integer
ranges, no per-point duplicates), and the caller receives the *sure* ranges (inside the inner
union) and the *ambiguous* ranges (outer minus inner) to decide exactly. Float margins make the
inner set a subset and the outer set a superset of the exact answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["RowIndex", "Ranges", "expand", "GEOS_MARGIN"]

#: Metres added to outer / removed from inner intervals (covers rounding in chords and keys).
GEOS_MARGIN = 1e-3

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Ranges:
    """Half-open slices ``[start, end)`` of the sorted points, one per row, grouped by ``owner``."""

    owner: NDArray[np.int64]
    start: NDArray[np.int64]
    end: NDArray[np.int64]

    @property
    def total(self) -> int:
        return int((self.end - self.start).sum())


def expand(r: Ranges) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Ranges → (owner, sorted-point position) pairs, in range order."""
    lens = r.end - r.start
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    off = np.cumsum(lens) - lens
    pos = np.arange(total, dtype=np.int64)
    pos += np.repeat(r.start - off, lens)
    return np.repeat(r.owner, lens), pos


def _disk_chord(cx: Floats, cy: Floats, r: Floats, y: Floats) -> tuple[Floats, Floats]:
    """x-interval of the disk of radius r around (cx, cy) on the line at height y (lo > hi: empty)."""
    dy = y - cy
    q = r * r - dy * dy
    ok = (q >= 0) & (r >= 0)
    half = np.sqrt(np.where(ok, q, 0.0))
    return np.where(ok, cx - half, np.inf), np.where(ok, cx + half, -np.inf)


def _chord(ax: Floats, ay: Floats, bx: Floats, by: Floats, r: Floats, y: Floats) -> tuple[Floats, Floats]:
    """x-interval (lo, hi) of the capsule {p : dist(p, segment AB) <= r} on the line at height y.

    Empty intervals have lo > hi. The capsule is convex, so its chord is the hull of the chords of
    the two end disks and of the rectangle around the segment (zero-length segments: one disk).
    """
    lo, hi = _disk_chord(ax, ay, r, y)
    sub = np.flatnonzero((ax != bx) | (ay != by))
    if len(sub) == 0:
        return lo, hi
    ax, ay, bx, by, r, y = ax[sub], ay[sub], bx[sub], by[sub], r[sub], y[sub]
    blo, bhi = _disk_chord(bx, by, r, y)
    dx_, dy_ = bx - ax, by - ay
    length = np.hypot(dx_, dy_)
    with np.errstate(divide="ignore", invalid="ignore"):
        ux, uy = dx_ / length, dy_ / length
        # along: 0 <= (x-ax)*ux + (y-ay)*uy <= L ; across: -r <= -(x-ax)*uy + (y-ay)*ux <= r
        rlo, rhi = np.full(len(ax), -np.inf), np.full(len(ax), np.inf)
        ok = r >= 0
        for alpha, beta, c_lo, c_hi in (
            (ux, (y - ay) * uy, 0.0, length),
            (-uy, (y - ay) * ux, -r, r),
        ):
            pos, neg, zero = alpha > 0, alpha < 0, alpha == 0
            a_safe = np.where(zero, 1.0, alpha)
            t1 = (c_lo - beta) / a_safe
            t2 = (c_hi - beta) / a_safe
            rlo = np.where(pos, np.maximum(rlo, t1), np.where(neg, np.maximum(rlo, t2), rlo))
            rhi = np.where(pos, np.minimum(rhi, t2), np.where(neg, np.minimum(rhi, t1), rhi))
            ok &= ~zero | ((beta >= c_lo) & (beta <= c_hi))
        ok &= rlo <= rhi
    slo = np.minimum(np.minimum(lo[sub], blo), np.where(ok, ax + rlo, np.inf))
    shi = np.maximum(np.maximum(hi[sub], bhi), np.where(ok, ax + rhi, -np.inf))
    lo[sub], hi[sub] = slo, shi
    return lo, hi


def _merge(owner: Ints, start: Ints, end: Ints, n: int) -> Ranges:
    """Union of integer ranges per owner (ranges of different owners never merge)."""
    keep = end > start
    owner, start, end = owner[keep], start[keep], end[keep]
    if len(owner) == 0:
        return Ranges(owner, start, end)
    base = owner * (n + 1)
    ks = base + start
    order = np.argsort(ks, kind="stable")
    ks = ks[order]
    ke = np.maximum.accumulate((base + end)[order])
    new = np.ones(len(ks), dtype=bool)
    new[1:] = ks[1:] > ke[:-1]
    first = np.flatnonzero(new)
    last = np.concatenate([first[1:] - 1, [len(ks) - 1]])
    s, e = ks[first], ke[last]
    o = s // (n + 1)
    return Ranges(o, s - o * (n + 1), e - o * (n + 1))


def _difference(outer: Ranges, inner: Ranges, n: int) -> Ranges:
    """outer \\ inner for merged (disjoint) ranges per owner, inner ⊆ outer."""
    if len(inner.owner) == 0:
        return outer
    bo, bi = outer.owner * (n + 1), inner.owner * (n + 1)
    g = np.concatenate([bo + outer.start, bo + outer.end, bi + inner.start, bi + inner.end])
    d = np.concatenate([
        np.ones(len(bo), np.int8), -np.ones(len(bo), np.int8), -np.ones(len(bi), np.int8), np.ones(len(bi), np.int8)
    ])
    order = np.argsort(g, kind="stable")
    g, d = g[order], d[order]
    state = np.cumsum(d, dtype=np.int64)
    sel = np.flatnonzero((state[:-1] == 1) & (g[1:] > g[:-1]))
    s, e = g[sel], g[sel + 1]
    o = s // (n + 1)
    return Ranges(o, s - o * (n + 1), e - o * (n + 1))


class RowIndex:
    """Points sorted by (row, x); ``order[k]`` is the input position of the k-th sorted point."""

    def __init__(self, xy: NDArray[np.float64], h: float) -> None:
        xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
        self.n = len(xy)
        lo = xy.min(axis=0) if self.n else np.zeros(2)
        hi = xy.max(axis=0) if self.n else np.zeros(2)
        self.pad = 1.0 + 1e-9 * float(np.abs(np.concatenate([lo, hi])).max())
        self.ox, self.oy = float(lo[0]) - self.pad, float(lo[1]) - self.pad
        self.h = float(h)
        x = xy[:, 0] - self.ox
        y = xy[:, 1] - self.oy
        rows = np.floor(y / self.h).astype(np.int64)
        self.n_rows = int(rows.max()) + 1 if self.n else 0
        self.span = float(hi[0] - lo[0]) + 4 * self.pad
        key = rows * self.span + x
        self.order = np.argsort(key, kind="stable").astype(np.int64)
        self.key = key[self.order]
        self.x = xy[self.order, 0]
        self.y = xy[self.order, 1]

    def capsule_ranges(
        self,
        ax: NDArray[np.float64],
        ay: NDArray[np.float64],
        bx: NDArray[np.float64],
        by: NDArray[np.float64],
        owner: NDArray[np.int64],
        r_in: NDArray[np.float64],
        r_out: NDArray[np.float64],
    ) -> tuple[Ranges, Ranges]:
        """(sure, ambiguous) ranges of the points near capsules (coordinates in the input CRS).

        ``sure``: points within ``r_in`` of some capsule of the owner; ``ambiguous``: the other
        points that may be within ``r_out``. Both are sorted by owner, then position.
        """
        empty = Ranges(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        if self.n == 0 or len(ax) == 0:
            return empty, empty
        ax, bx = ax - self.ox, bx - self.ox
        ay, by = ay - self.oy, by - self.oy
        m = GEOS_MARGIN
        top = np.maximum(ay, by) + r_out + m
        bot = np.minimum(ay, by) - r_out - m
        r0 = np.clip(np.floor(bot / self.h), 0, self.n_rows).astype(np.int64)
        r1 = np.clip(np.floor(top / self.h), -1, self.n_rows - 1).astype(np.int64)
        cnt = np.maximum(r1 - r0 + 1, 0)
        cap = np.repeat(np.arange(len(ax)), cnt)
        row = np.arange(len(cap), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(r0, cnt)
        # row-major order keeps the binary searches below inside one row block (cache-friendly);
        # a stable sort of 16-bit keys is a radix sort
        by_row = np.argsort(row.astype(np.int16) if self.n_rows < 2**15 else row, kind="stable")
        cap, row = cap[by_row], row[by_row]
        cax, cay, cbx, cby = ax[cap], ay[cap], bx[cap], by[cap]
        ri, ro = r_in[cap], r_out[cap]
        y0 = row * self.h - m
        y1 = (row + 1) * self.h + m
        lo0, hi0 = _chord(cax, cay, cbx, cby, ro, y0)
        lo1, hi1 = _chord(cax, cay, cbx, cby, ro, y1)
        olo, ohi = np.minimum(lo0, lo1), np.maximum(hi0, hi1)
        for cx, cy in ((cax, cay), (cbx, cby)):
            inside = (cy >= y0) & (cy <= y1)
            olo = np.where(inside, np.minimum(olo, cx - ro), olo)
            ohi = np.where(inside, np.maximum(ohi, cx + ro), ohi)
        olo, ohi = olo - m, ohi + m
        lo0, hi0 = _chord(cax, cay, cbx, cby, ri, y0)
        lo1, hi1 = _chord(cax, cay, cbx, cby, ri, y1)
        ilo = np.maximum(np.maximum(lo0, lo1) + m, olo)
        ihi = np.minimum(np.minimum(hi0, hi1) - m, ohi)
        own = owner[cap]
        o_s, o_e = self._slices(row, olo, ohi)
        i_s, i_e = self._slices(row, ilo, ihi)
        outer = _merge(own, o_s, o_e, self.n)
        inner = _merge(own, i_s, i_e, self.n)
        return inner, _difference(outer, inner, self.n)

    def box_ranges(self, x0: Floats, y0: Floats, x1: Floats, y1: Floats, owner: Ints) -> Ranges:
        """Ranges of the points inside each box [x0, x1] × [y0, y1] (widened by whole rows: every
        point of the box is in them, with the points of the box's rows in [x0, x1]), per owner."""
        m = GEOS_MARGIN
        r0 = np.clip(np.floor((y0 - self.oy - m) / self.h), 0, self.n_rows).astype(np.int64)
        r1 = np.clip(np.floor((y1 - self.oy + m) / self.h), -1, self.n_rows - 1).astype(np.int64)
        cnt = np.maximum(r1 - r0 + 1, 0)
        box = np.repeat(np.arange(len(x0)), cnt)
        row = np.arange(len(box), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(r0, cnt)
        s, e = self._slices(row, x0[box] - self.ox - m, x1[box] - self.ox + m)
        return _merge(owner[box], s, e, self.n)

    def _slices(self, row: Ints, lo: Floats, hi: Floats) -> tuple[Ints, Ints]:
        """Sorted positions [s, e) of the points of ``row`` with lo <= x <= hi (empty if lo > hi)."""
        ok = lo <= hi
        lim = self.span - self.pad / 2
        base = row * self.span
        s = np.searchsorted(self.key, base + np.clip(lo, self.pad / 2, lim), side="left")
        e = np.searchsorted(self.key, base + np.clip(hi, self.pad / 2, lim), side="right")
        e = np.where(ok, e, s)
        return s.astype(np.int64), np.maximum(e, s).astype(np.int64)
