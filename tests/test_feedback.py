"""bangfu.ui.feedback: one error display (message, hint, details as plain text), one flash message, one guard."""

from __future__ import annotations

import html
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, strategies as st_
from streamlit.testing.v1 import AppTest

from bangfu.core.errors import BangfuError
from bangfu.ui.feedback import WORD_JOINER, md_text

ROOT = Path(__file__).resolve().parents[1]
EVIL = "[点我](http://evil.example) ![x](http://evil.example/t.png) **粗** <b>x</b> $x$ # 标题 `code` 1. 项"


def _displayed(markdown: str) -> str:
    """What CommonMark shows for text made only of backslash escapes and entities: the characters themselves."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)).replace(WORD_JOINER, "")  # invisible


def _active(markdown: str) -> str:
    """The characters left that Markdown could interpret: escape pairs and entities removed."""
    return re.sub(r"&(?:amp|lt|gt);", "", re.sub(r"\\[!-/:-@\[-`{-~]", "", markdown.replace(WORD_JOINER + ":", "")
                                                                   .replace(WORD_JOINER + "@", "")))


@given(st_.text(alphabet=st_.sampled_from(string.printable + "村镇：（）【】“”"), max_size=80))
def test_md_text_shows_any_text_as_typed(text: str):
    shown = md_text(text)
    assert _displayed(shown) == text
    assert not set(_active(shown)) & set("\\`*_{}[]()#+-.!|~<>$&:@"), shown  # ":"/"@": no autolinks
    assert "www" not in shown.lower()


# ----------------------------------------------------------------------------- show_error


def _error_script(kind: str, lang: str) -> None:
    import streamlit as st

    from bangfu.core.errors import BangfuError
    from bangfu.ui.feedback import show_error

    evil = "[点我](http://evil.example) ![x](http://evil.example/t.png) **粗** <b>x</b> $x$ # 标题 `code` 1. 项"
    if kind == "bangfu":
        exc: Exception = BangfuError(f"第 3 行：{evil}", f"row 3: {evil}", hint_zh="改正后重新上传", hint_en="fix it",
                                     details=[f"第{i}行：<script>{i}</script>" for i in range(1, 61)])
    else:
        exc = KeyError("village_code")
    show_error(exc, lang, title="标题")
    st.write("after")


def test_bangfu_error_message_hint_and_details_as_plain_text():
    at = AppTest.from_function(_error_script, args=("bangfu", "zh")).run()
    assert not at.exception
    (box,) = at.error
    assert box.value.startswith("**标题**：")
    body = box.value[len("**标题**："):]
    assert _displayed(body) == f"第 3 行：{EVIL}\n\n建议：改正后重新上传"
    assert "](" not in _active(body) and "<" not in _active(body)
    (details,) = at.text
    lines = details.value.splitlines()
    assert lines[0] == "第1行：<script>1</script>" and lines[49] == "第50行：<script>50</script>"  # st.text: shown as typed
    assert lines[50] == "…… 另有 10 条" and len(lines) == 51
    assert at.markdown[-1].value == "after"


def test_english_message_and_hint():
    at = AppTest.from_function(_error_script, args=("bangfu", "en")).run()
    assert _displayed(at.error[0].value) == f"**标题**: row 3: {EVIL}\n\nWhat to do: fix it"


def test_unexpected_exception_gets_a_generic_message_with_its_text():
    at = AppTest.from_function(_error_script, args=("other", "zh")).run()
    assert not at.exception
    assert "出现了意外错误" in at.error[0].value and "请刷新页面" in _displayed(at.error[0].value)
    assert at.text[0].value == "KeyError: 'village_code'"


# ----------------------------------------------------------------------------- flash


def _flash_script() -> None:
    import streamlit as st

    from bangfu.ui.feedback import flash, show_flash

    show_flash()  # the page slot, at the top
    st.write("form")
    show_flash("form")  # the slot next to the form
    kind = st.session_state.get("kind", "success")
    if st.button("save", key="save"):
        flash("已保存 R2 <b>", kind=kind, slot="form")
        st.rerun()
    if st.button("restore", key="restore"):
        flash("已恢复", kind="info")
        st.rerun()


def test_flash_is_shown_once_after_the_rerun_in_its_slot():
    at = AppTest.from_function(_flash_script).run()
    assert not at.success
    at.button(key="save").click().run()
    assert [s.value for s in at.success] == [md_text("已保存 R2 <b>")]
    # shown where the slot is: after the "form" text, not at the top
    blocks = [type(e).__name__ for e in at.main]
    assert blocks.index("Success") > blocks.index("Markdown")
    at.run()
    assert not at.success, "a flash is shown once"
    at.button(key="restore").click().run()
    assert [i.value for i in at.info] == ["已恢复"] and not at.success
    blocks = [type(e).__name__ for e in at.main]
    assert blocks.index("Info") < blocks.index("Markdown"), "the page slot is above the form"


@pytest.mark.parametrize("kind, element", [("warning", "warning"), ("info", "info"), ("error", "error")])
def test_flash_kinds(kind: str, element: str):
    at = AppTest.from_function(_flash_script)
    at.session_state["kind"] = kind
    at.run()
    at.button(key="save").click().run()
    assert [e.value for e in getattr(at, element)] == [md_text("已保存 R2 <b>")]


def test_unknown_flash_kind_is_refused():
    def script() -> None:
        from bangfu.ui.feedback import flash

        flash("x", kind="loud")  # type: ignore[arg-type]

    at = AppTest.from_function(script).run()
    assert at.exception and "loud" in at.exception[0].value


# ----------------------------------------------------------------------------- guard


def _guard_script(what: str, stop: bool) -> None:
    import streamlit as st

    from bangfu.core.errors import BangfuError
    from bangfu.ui.feedback import guard

    with guard("zh", stop=stop):
        st.write("before")
        if what == "bangfu":
            raise BangfuError("工作空间在预览之后被修改过", hint_zh="请重新预览")
        if what == "bug":
            raise ZeroDivisionError("a bug")
        st.write("rest of the block")
    st.write("after the block")


def test_guard_shows_a_bangfu_error_and_skips_the_rest_of_the_block():
    at = AppTest.from_function(_guard_script, args=("bangfu", False)).run()
    assert not at.exception
    assert _displayed(at.error[0].value) == "工作空间在预览之后被修改过\n\n建议：请重新预览"
    assert [m.value for m in at.markdown] == ["before", "after the block"]


def test_guard_can_stop_the_page():
    at = AppTest.from_function(_guard_script, args=("bangfu", True)).run()
    assert not at.exception and at.error
    assert [m.value for m in at.markdown] == ["before"]


def test_guard_lets_bugs_through():
    at = AppTest.from_function(_guard_script, args=("bug", False)).run()
    assert at.exception and not at.error  # Streamlit's own error element (message redacted by config)
    assert [m.value for m in at.markdown] == ["before"]


def test_app_shows_an_unhandled_bangfu_error_without_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """app.py wraps every page in the guard: an error no page handles is shown in Chinese with its hint."""
    from bangfu import indicators

    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "ws"))

    def refuse(*a, **k):
        raise BangfuError("指标无法计算：缺少村界", "cannot compute", hint_zh="先导入村界")

    monkeypatch.setattr(indicators, "overview_kpis", refuse)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(_displayed(e.value) == "指标无法计算：缺少村界\n\n建议：先导入村界" for e in at.error), \
        [e.value for e in at.error]
