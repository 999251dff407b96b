"""The workspace's error type, in a module of its own so the store and the database connection layer both import it."""

from __future__ import annotations

from bangfu.core.errors import BangfuError

__all__ = ["RESTORE_HINT_EN", "RESTORE_HINT_ZH", "WorkspaceError"]

#: What a user can do about a workspace that cannot be used (shown by the app and the command line).
RESTORE_HINT_ZH = (
    "管理员可以恢复开平市示例数据（当前文件会另存，不覆盖任何备份），"
    "或用命令 python -m bangfu restore-backup 恢复一个备份（--list 列出全部备份）。"
)
RESTORE_HINT_EN = (
    "An administrator can restore the Kaiping demo (the current file is kept aside; no backup is overwritten), "
    "or restore a backup with python -m bangfu restore-backup (--list shows them all)."
)


class WorkspaceError(BangfuError):
    """A workspace that cannot be opened or written (Chinese and English message, a hint)."""

    def __init__(
        self, message_zh: str, message_en: str = "", *, hint_zh: str = RESTORE_HINT_ZH, hint_en: str = RESTORE_HINT_EN,
        details: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message_zh, message_en, hint_zh=hint_zh, hint_en=hint_en, details=details)
