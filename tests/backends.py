"""Helpers for tests that run against both workspace stores (GeoPackage and PostGIS); not a test module.

``as_backend(gpkg, kind, pg_url)`` gives the workspace to test: the GeoPackage itself, or a copy of it in a fresh
PostGIS schema. ``state(location)`` is everything a write could change (every layer's rows and geometry as WKB,
and ``bangfu_meta`` without the content tokens): equal states mean nothing was written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import shapely

from bangfu.workspace import store, transfer

from conftest import STORES

KINDS = STORES  # the stores a test runs on: one list, in conftest


def as_backend(gpkg: Path, kind: str, pg_url: str | None) -> Path | str:
    if kind == "gpkg":
        return gpkg
    assert pg_url is not None
    transfer.copy_workspace(gpkg, pg_url)
    return pg_url


def state(location: Path | str) -> dict[str, str]:
    """A digest per layer and of the meta (a GeoPackage: the file's bytes, as the existing tests compare)."""
    if not store.backend_for(location).kind == "postgis":
        return {"file": hashlib.sha256(Path(location).read_bytes()).hexdigest()}
    out = {}
    for name in store.list_layers(location):
        df = store.read_layer(location, name)
        frame = pd.DataFrame(df.drop(columns="geometry")) if "geometry" in df.columns else pd.DataFrame(df)
        h = hashlib.sha256(frame.to_csv(index=False).encode())
        if "geometry" in df.columns:
            for g in df.geometry:
                h.update(b"-" if g is None else shapely.to_wkb(g))
        out[name] = h.hexdigest()
    meta = {k: v for k, v in store.read_meta(location).items()}
    out["meta"] = repr(sorted(meta.items()))
    return out
