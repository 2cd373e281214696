"""ViewState: the Qt-free model of the linked views (cursor, focus, layout)."""
from __future__ import annotations

import pytest

from dicegui.gui.views.state import LAYOUTS, ViewState

AXES = {"axial": 2, "coronal": 1, "sagittal": 0}


def _state(**kw):
    return ViewState((10, 20, 30), tuple(AXES), AXES, **kw)


def test_each_view_shows_the_cursor_slice_along_its_axis():
    st = _state(cursor=(1, 2, 3))
    assert (st.slice_of("sagittal"), st.slice_of("coronal"), st.slice_of("axial")) == (1, 2, 3)
    st.set_slice("coronal", 7)
    assert st.cursor == (1, 7, 3)


def test_changes_name_exactly_the_axes_that_moved_and_listeners_hear_only_real_changes():
    st = _state(cursor=(1, 2, 3))
    heard = []
    st.subscribe(heard.append)
    change = st.set_cursor((1, 5, 9))
    assert change.axes == frozenset({1, 2}) and not change.focus
    assert st.set_cursor((1, 5, 9)).axes == frozenset()
    assert len(heard) == 1  # the no-op was not announced


def test_cursor_is_clamped_into_the_volume():
    st = _state()
    st.set_cursor((-4, 99, 12))
    assert st.cursor == (0, 19, 12)
    st.step("axial", 100)
    assert st.slice_of("axial") == 29


def test_focus_and_layouts():
    st = _state()
    assert st.visible_planes() == ("axial", "coronal", "sagittal") and st.shows_3d()
    change = st.set_focus("sagittal")
    assert change.focus and not change.layout
    st.set_layout("1x1")
    assert st.visible_planes() == ("sagittal",) and not st.shows_3d()
    assert st.set_focus("coronal").layout  # in 1×1 the focused view is the one on screen
    assert [st.next_layout() and st.layout for _ in LAYOUTS] == ["2x2", "1x3", "1x1"]
    with pytest.raises(ValueError, match="unknown layout"):
        st.set_layout("3x3")
    with pytest.raises(ValueError, match="no 'image' view"):
        st.set_focus("image")


def test_a_single_plane_is_always_one_by_one():
    st = ViewState((64, 48, 1), ("image",), {"image": 2}, layout="2x2")
    assert st.layout == "1x1" and st.visible_planes() == ("image",)
    st.set_layout("1x3")
    assert st.layout == "1x1"
