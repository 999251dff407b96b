"""The network tab's figures of a county: the whole workspace's network (today's way) against the area's part
(:func:`bangfu.indicators.network.area_network_data`), in one process, same run; checks that the figures are equal.

    PYTHONPATH=src python bench/bench_area_network.py --workspace PROVINCE.gpkg --areas 210102,210103,211381
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from bangfu.geo.crs import metric_crs
from bangfu.indicators import network as ni
from bangfu.workspace import store


def figures(data: ni.NetworkData, villages: pd.DataFrame, codes: set[str], road_ids: set[str]
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    held = villages[villages["village_code"].astype(str).isin(set(data.village_seats["village_code"]))]
    conn = ni.village_connection(data, held)
    links = ni.missing_links(data, conn)
    return (conn[conn["village_code"].isin(codes)].reset_index(drop=True),
            links[links["road_id"].isin(road_ids) & (links["villages"] > 0)].reset_index(drop=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--areas", default="210102,210103,211381", help="county codes (6 digits) or town codes (9)")
    args = ap.parse_args()
    print(f"load {os.getloadavg()}", flush=True)
    roads, villages = store.read_layer(args.workspace, "roads"), store.read_layer(args.workspace, "villages")
    crs = metric_crs(villages)
    t0 = time.perf_counter()
    whole = ni.network_data(roads, villages, crs=crs)
    conn = ni.village_connection(whole, villages)
    links = ni.missing_links(whole, conn)
    print(f"whole network: {whole.net.n_edges:,} edges; network + 通硬化路 + missing links "
          f"{time.perf_counter() - t0:.1f} s (today's code: once per workspace version)", flush=True)
    t0 = time.perf_counter()
    index = ni.network_index(roads, villages, crs=crs)
    print(f"road groups and trees (once per version): {time.perf_counter() - t0:.1f} s", flush=True)
    for code in args.areas.split(","):
        mask = villages["village_code"].astype(str).str.startswith(code)
        codes = set(villages.loc[mask, "village_code"].astype(str))
        ids = set(roads.loc[roads["village_code"].astype(str).isin(codes), "road_id"].astype(str))
        t0 = time.perf_counter()
        part = ni.area_network_data(index, roads, villages, codes)
        got = figures(part, villages, codes, ids)
        seconds = time.perf_counter() - t0
        want = (conn[conn["village_code"].isin(codes)].reset_index(drop=True),
                links[links["road_id"].isin(ids) & (links["villages"] > 0)].reset_index(drop=True))
        pd.testing.assert_frame_equal(got[0], want[0], check_exact=False, rtol=1e-9)
        pd.testing.assert_frame_equal(got[1], want[1], check_exact=False, rtol=1e-9)
        print(f"  {code}: {len(codes)} villages; part built {part.net.n_edges:,} edges, "
              f"{len(part.village_seats)} villages; {seconds:.2f} s; figures equal "
              f"({int(got[0]['connected'].sum())} connected, {len(got[1])} missing links)", flush=True)
    print(f"load {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
