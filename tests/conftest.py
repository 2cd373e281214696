"""Shared test setup: offscreen Qt, paths to optional real data."""
import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data():
    """The ``../shared/data`` folder of real cases; skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _gui_thread_gc(request):
    """Tests that use Qt collect garbage in the GUI thread only, as the application does.

    (dicegui.gui.gui_thread_gc: a window caught in a reference cycle and
    collected by a worker thread crashed or deadlocked the test run.)
    """
    if "qtbot" in request.fixturenames or "qapp" in request.fixturenames:
        from dicegui.gui.gui_thread_gc import install

        install(request.getfixturevalue("qapp"))
    yield
    if not gc.isenabled():  # installed: collect here too, for tests that run no event loop
        counts, limits = gc.get_count(), gc.get_threshold()
        due = [g for g in range(3) if counts[g] > limits[g]]
        if due:
            gc.collect(max(due))
