"""Teaching tests: the window's teaching panel, shown."""
from __future__ import annotations

import pytest


@pytest.fixture
def teaching(window):
    """The teaching panel of the ``window`` fixture, its dock shown (unsaved edits discarded at the end)."""
    window.qa.show_panel("teaching")
    yield window.qa.teaching
    window.editor.history.mark_discarded()
