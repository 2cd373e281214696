"""The views room: linked slice views, their Qt-free state, and the 3-D error view.

* :mod:`.state`: :class:`ViewState`, cursor voxel, focused view and layout (no Qt);
* :mod:`.linked_views`: :class:`LinkedViews`, the three slice views and the 3-D pane;
* :mod:`.crosshair`: the cursor lines in a slice view;
* :mod:`.key_router`: slice and tool keys reach the views wherever the focus is;
* :mod:`.error_view_3d`: the 3-D error view.
"""
from .linked_views import LinkedViews
from .state import LAYOUTS, ViewState

__all__ = ["LinkedViews", "ViewState", "LAYOUTS"]
