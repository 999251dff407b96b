"""TEST-ONLY launcher of `streamlit run` whose every session is signed in as one principal (browser role tests).

MERGE: this stands in for the login that the auth work of issue 12 builds (accounts in office.sqlite, a login
form). It lives under tests/, is started only by ``tests/browser_util.running_app(signed_in=...)`` and is never
imported by the app: no URL, query parameter or environment variable of the production app grants a role.
When login lands, sign in through the real form (an account created with the accounts API) and delete this file.

Usage: ``BANGFU_TEST_SIGNED_IN_USERNAME=… BANGFU_TEST_SIGNED_IN_ROLE=viewer [BANGFU_TEST_SIGNED_IN_TOWNS=c1,c2]
python tests/role_server.py run app.py [streamlit options]``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if "PYTEST_CURRENT_TEST" not in os.environ or "BANGFU_TEST_SIGNED_IN_ROLE" not in os.environ:
    raise SystemExit("tests/role_server.py is a test fixture: run it from the browser tests only")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bangfu.ui import auth  # noqa: E402
from bangfu.workspace.access import Principal  # noqa: E402

PRINCIPAL = Principal(
    os.environ["BANGFU_TEST_SIGNED_IN_USERNAME"],
    os.environ["BANGFU_TEST_SIGNED_IN_ROLE"],
    towns=tuple(t for t in os.environ.get("BANGFU_TEST_SIGNED_IN_TOWNS", "").split(",") if t),
    display_name=os.environ.get("BANGFU_TEST_SIGNED_IN_DISPLAY", ""),
    source="password",
)


def _signed_in(lang: str, folder: Path) -> Principal:
    return PRINCIPAL


auth.current_user = _signed_in  # the page shell reads bangfu.ui.auth.current_user on every run

if __name__ == "__main__":
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(cli.main())
