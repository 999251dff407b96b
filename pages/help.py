"""帮助 — what each page answers, the indicators (definitions and sources) and a glossary, in Chinese and English."""

from bangfu.ui.panels import help as panel
from bangfu.ui.shell import current

ctx = current()
panel.show(ctx)
