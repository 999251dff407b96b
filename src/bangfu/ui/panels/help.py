"""Panels of page 帮助: what each page answers, the indicators with their definitions and sources, a glossary."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bangfu.core.labels import t
from bangfu.core.vocab import VILLAGE_FLAG
from bangfu.indicators.classify import CHOROPLETH_INDICATORS
from bangfu.ui.pages import PAGES
from bangfu.ui.shell import Context

__all__ = ["EXTRA_INDICATORS", "GLOSSARY", "page_answers", "indicator_table", "glossary_table", "show"]

#: Indicators beyond the choropleth ones (:data:`bangfu.indicators.classify.CHOROPLETH_INDICATORS`, whose names
#: come from there): label key of the name; the definition and source are ``help.def.<key>`` / ``help.src.<key>``.
EXTRA_INDICATORS: tuple[tuple[str, str], ...] = (
    ("hardening_rate", "help.ind.hardening_rate"),
    ("access_share", "help.ind.access_share"),
    ("access_network", "help.ind.access_network"),
    ("pairing_coverage", "help.ind.pairing_coverage"),
    ("tourism_reach", "help.ind.tourism_reach"),
    ("project_households", "help.ind.project_households"),
    ("weighted_score", "help.ind.weighted_score"),
)

#: Glossary: (term, definition label). A term is a label key, or ``village_flag:<code>`` for a village category
#: whose name comes from :data:`bangfu.core.vocab.VILLAGE_FLAG` (one name everywhere).
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("help.term.registered", "help.gloss.registered"),
    ("village_flag:old_district", "help.gloss.old_district"),
    ("village_flag:key_village", "help.gloss.key_village"),
    ("help.term.needy", "help.gloss.needy"),
    ("help.term.pairing", "help.gloss.pairing"),
    ("help.term.hardened", "help.gloss.hardened"),
    ("help.term.service_distance", "help.gloss.service_distance"),
    ("help.term.ranking", "help.gloss.ranking"),
    ("help.term.portfolio", "help.gloss.portfolio"),
    ("help.term.division_code", "help.gloss.division_code"),
    ("help.term.town", "help.gloss.town"),
    ("help.term.workspace", "help.gloss.workspace"),
    ("help.term.suppressed", "help.gloss.suppressed"),
)


def _term(key: str, lang: str) -> str:
    kind, _, code = key.partition(":")
    return VILLAGE_FLAG.label(code, lang) if kind == "village_flag" else t(key, lang)


def page_answers(lang: str) -> pd.DataFrame:
    """One row per page of :data:`bangfu.ui.pages.PAGES`: its title and the question it answers."""
    rows = [(t(p.label, lang), t(f"help.answers.{p.url_path}", lang)) for p in PAGES]
    return pd.DataFrame(rows, columns=[t("help.col.page", lang), t("help.col.answers", lang)])


def indicator_table(lang: str) -> pd.DataFrame:
    """Every indicator: name (with unit), definition, source."""
    rows = [(ind.title(lang), t(f"help.def.{ind.key}", lang), t(f"help.src.{ind.key}", lang))
            for ind in CHOROPLETH_INDICATORS]
    rows += [(t(name, lang), t(f"help.def.{key}", lang), t(f"help.src.{key}", lang)) for key, name in EXTRA_INDICATORS]
    return pd.DataFrame(rows, columns=[t("help.col.indicator", lang), t("help.col.definition", lang),
                                       t("help.col.source", lang)])


def glossary_table(lang: str) -> pd.DataFrame:
    """The glossary: term and meaning."""
    rows = [(_term(term, lang), t(meaning, lang)) for term, meaning in GLOSSARY]
    return pd.DataFrame(rows, columns=[t("help.col.term", lang), t("help.col.meaning", lang)])


def show(ctx: Context) -> None:
    """The help page: title, introduction and three sections (plain tables: the text is the app's own)."""
    st.title(ctx.t("page.help"))
    st.caption(ctx.t("help.intro"))
    for title, table in ((ctx.t("help.pages"), page_answers(ctx.lang)),
                         (ctx.t("help.indicators"), indicator_table(ctx.lang)),
                         (ctx.t("help.glossary"), glossary_table(ctx.lang))):
        st.subheader(title)
        st.table(table.set_index(table.columns[0]))
    st.caption(ctx.t("help.more"))
