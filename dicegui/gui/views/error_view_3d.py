"""The 3-D error view: the prediction's surface coloured by its distance to the reference.

The fourth pane of the 2 × 2 layout (ITK-SNAP's 3-D view, with the error
made visible): the reference as a translucent grey shell, the prediction's
surface coloured by signed distance in mm (:mod:`dicegui.core.surface_mesh`:
blue where the prediction stops inside the reference, vermillion where it
reaches past it, light grey where they agree), a legend, and a small marker
at the cursor. Drag rotates, the wheel zooms, a click on the surface moves
the cursor there (``voxelPicked``).

Meshes are computed in a worker thread (marching cubes, k-d tree and EDT
spend most of their time outside the GIL), newest request wins, and edits
ask for a rebuild only once the hand rests (:data:`REBUILD_MS`), so a stroke
never waits for a mesh. The view builds nothing while it is hidden (layouts
1 × 3 and 1 × 1) and catches up when shown.

Where no OpenGL context can be made (the offscreen platform of CI and
``--screenshot``, a display without GL), the pane says so in words; the
meshes are still computed, so the numbers behind the picture stay testable.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.surface_mesh import (default_limit, diverging_colors, error_surface, hit_voxel, ray_mesh_hit,
                                  vertex_normals)
from ...core.region_groups import region_mask
from ..background import BackgroundJob, JobSignals
from ..region_focus import RegionFocus

#: Quiet time after the last edit before the meshes are rebuilt.
REBUILD_MS = 600
_SHELL = (0.75, 0.75, 0.75, 0.18)
_NEUTRAL = (0.85, 0.75, 0.3, 1.0)  # one mask alone: no distances to colour by
#: A press and release closer than this (pixels) is a click (moves the cursor); farther, a rotation.
_CLICK_SLOP_PX = 4


def gl_unavailable_reason() -> str | None:
    """Why no 3-D drawing is possible here, or None when an OpenGL context can be made."""
    app = QtGui.QGuiApplication.instance()
    platform = app.platformName() if app is not None else ""
    if platform in ("offscreen", "minimal"):
        return f"No OpenGL on this display ({platform} platform)"
    try:
        import pyqtgraph.opengl  # noqa: F401  (needs PyOpenGL)
    except Exception as exc:  # ImportError, or PyOpenGL failing to find libGL
        return f"No OpenGL support in Python ({type(exc).__name__}: {exc})"
    ctx = QtGui.QOpenGLContext()
    if not ctx.create():
        return "No OpenGL context could be made on this display"
    return None


class _Request:
    def __init__(self, generation: int, label):
        self.generation, self.label = generation, label


class _Built:
    """What the worker hands back: the surfaces and all the per-vertex arrays drawing needs.

    Everything that grows with the mesh is computed here, in the worker, so
    that showing a new mesh costs the GUI thread little more than handing
    arrays to pyqtgraph.
    """

    def __init__(self, surface):
        self.surface = surface
        d = surface.pred_distance_mm
        if np.isfinite(d).any():
            self.limit_mm = default_limit(d, surface.spacing)
            self.colors = diverging_colors(d, self.limit_mm)
        else:
            self.limit_mm = None
            self.colors = np.tile(np.array(_NEUTRAL), (len(surface.pred_vertices), 1))
        self.pred_normals = vertex_normals(surface.pred_vertices, surface.pred_faces)
        self.ref_normals = vertex_normals(surface.ref_vertices, surface.ref_faces)


def _focus_masks(gt, pred, focus):
    """(gt, pred, label) for :func:`error_surface`: a region group becomes its two union masks."""
    if isinstance(focus, RegionFocus):
        return tuple(None if m is None else region_mask(m, focus.labels) for m in (gt, pred)) + (None,)
    return gt, pred, focus


def _build(gt, pred, spacing, label) -> _Built:
    """Worker thread: meshes, distances, colours and normals of the current masks (a label or a region)."""
    gt, pred, label = _focus_masks(gt, pred, label)
    return _Built(error_surface(gt, pred, spacing, label))


def _mesh_data(vertices, faces, normals, colors=None):
    """A pyqtgraph MeshData whose vertex normals are the ones given (see :func:`vertex_normals`)."""
    import pyqtgraph.opengl as gl

    # pyqtgraph's 'shaded' shader lights normals that point away from the viewer (its light
    # vector is (1, -1, -1) in eye space), so it is handed the inward normals of the surface
    inward = -np.asarray(normals, np.float32)

    class _Given(gl.MeshData):
        def vertexNormals(self, indexed=None):
            return inward if indexed is None else inward[self.faces()]

    return _Given(vertexes=vertices, faces=faces, vertexColors=colors)


def _gl_view_class():
    import pyqtgraph.opengl as gl

    class PickingGLView(gl.GLViewWidget):
        """GLViewWidget that reports a click without a drag (rotation) as a ray in scene coordinates."""

        clickedRay = QtCore.Signal(object, object)

        def mousePressEvent(self, ev):
            self._press, self._dragged = ev.position(), False
            super().mousePressEvent(ev)

        def mouseMoveEvent(self, ev):
            press = getattr(self, "_press", None)
            if press is not None and (ev.position() - press).manhattanLength() >= _CLICK_SLOP_PX:
                self._dragged = True  # a rotation, even if it ends where it began
            super().mouseMoveEvent(ev)

        def mouseReleaseEvent(self, ev):
            press, self._press = getattr(self, "_press", None), None
            super().mouseReleaseEvent(ev)
            if press is not None and ev.button() == QtCore.Qt.MouseButton.LeftButton and not self._dragged \
                    and (ev.position() - press).manhattanLength() < _CLICK_SLOP_PX:
                self.clickedRay.emit(*self.ray_at(ev.position()))

        def ray_at(self, pos):
            """(origin, direction) of the line of sight through widget position ``pos``."""
            w, h = max(self.width(), 1), max(self.height(), 1)
            vp = (0, 0, w, h)
            m = self.projectionMatrix(vp, vp) * self.viewMatrix()
            inv, ok = m.inverted()
            x = 2.0 * pos.x() / w - 1.0
            y = 1.0 - 2.0 * pos.y() / h
            near = inv.map(QtGui.QVector4D(x, y, -1.0, 1.0))
            far = inv.map(QtGui.QVector4D(x, y, 1.0, 1.0))
            a = np.array([near.x(), near.y(), near.z()]) / near.w()
            b = np.array([far.x(), far.y(), far.z()]) / far.w()
            return a, b - a

    return PickingGLView


class ErrorView3D(QtWidgets.QWidget):
    """Surfaces of the reference and the prediction, the prediction coloured by signed distance.

    Signals
    -------
    voxelPicked(object)
        View-order voxel ``(i, j, k)`` under a click on a surface.
    meshReady()
        New meshes are shown (or stored, without OpenGL).

    Attributes
    ----------
    surface : ErrorSurface or None
        The meshes shown.
    colors : numpy.ndarray or None
        RGBA of the prediction's vertices as drawn.
    limit_mm : float
        The colour scale's end (±).
    """

    voxelPicked = QtCore.Signal(object)
    meshReady = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.surface = None
        self.colors = None
        self._built = None
        self.limit_mm = 1.0
        self._gt = self._pred = None
        self._spacing = (1.0, 1.0, 1.0)
        self._shape = (1, 1, 1)
        self._label = None
        self._cursor = None
        self._generation = 0
        self._stale = False
        self._busy = False
        self._names = {}
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = JobSignals(self)
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self.timer = QtCore.QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REBUILD_MS)
        self.timer.timeout.connect(lambda: self.rebuild())
        self._build()

    # ================================================================== UI
    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        top = QtWidgets.QHBoxLayout()
        self.caption = QtWidgets.QLabel("3-D: open a case")
        self.caption.setWordWrap(True)
        self.reset_button = QtWidgets.QToolButton()
        self.reset_button.setText("Reset camera")
        self.reset_button.clicked.connect(self.reset_camera)
        top.addWidget(self.caption, 1)
        top.addWidget(self.reset_button)
        layout.addLayout(top)
        self.reason = gl_unavailable_reason()
        self.gl = None
        if self.reason is None:
            try:
                self.gl = _gl_view_class()()
                self.gl.setBackgroundColor((12, 12, 12))
                self.gl.clickedRay.connect(self._clicked)
            except Exception as exc:  # GL present but the widget cannot start: say so, go on
                self.reason = f"The 3-D view could not start ({type(exc).__name__}: {exc})"
                self.gl = None
        if self.gl is not None:
            layout.addWidget(self.gl, 1)
            self.message = None
        else:
            self.message = QtWidgets.QLabel(
                f"{self.reason}: the 3-D view is off; the slice views and the scores work as usual.")
            self.message.setWordWrap(True)
            self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            self.message.setStyleSheet("QLabel { color: #bbbbbb; background: #0c0c0c; padding: 12px; }")
            layout.addWidget(self.message, 1)
            self.reset_button.setEnabled(False)
        self.legend = QtWidgets.QLabel("")
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        self._items = {}

    # ============================================================ commands
    def set_case(self, gt, pred, spacing, label_names=None) -> None:
        """A new case (either mask may be None); builds the meshes when the pane is shown."""
        self._gt, self._pred = gt, pred
        self._spacing = tuple(float(s) for s in spacing)
        shapes = [m.shape for m in (gt, pred) if m is not None]
        self._shape = shapes[0] if shapes else (1, 1, 1)
        self._names = dict(label_names or {})
        self._generation += 1  # results of the previous case are dropped when they arrive
        self.surface = None
        self.colors = None
        self._clear_items()
        if not shapes:
            self.caption.setText("3-D: no mask to show")
            return
        if self._flat():
            self.caption.setText(f"3-D: a 2-D image ({' × '.join(map(str, self._shape))}) has no surface to show")
            self.legend.setText("")
            return
        self.request_rebuild(now=True)

    def _flat(self) -> bool:
        """A 2-D image (an axis shorter than 2 voxels): nothing to mesh."""
        return len(self._shape) != 3 or min(self._shape) < 2

    def set_label(self, label) -> None:
        """Show one label (int), a region group (:class:`RegionFocus`) or, with None, any foreground."""
        if label != self._label:
            self._label = label
            self.request_rebuild(now=True)

    def masks_edited(self) -> None:
        """The masks changed: rebuild once the hand rests."""
        if (self._gt is None and self._pred is None) or self._flat():
            return
        self._stale = True
        self._set_caption(updating=True)
        self.timer.start()

    def set_cursor(self, ijk) -> None:
        self._cursor = tuple(int(v) for v in ijk)
        self._draw_cursor()

    def request_rebuild(self, now: bool = False) -> None:
        self._stale = True
        if now:
            self.rebuild()
        else:
            self.timer.start()

    def rebuild(self) -> None:
        """Start computing the meshes of the current masks and label (if the pane is on screen)."""
        self.timer.stop()
        if (self._gt is None and self._pred is None) or self._flat() or not self.isVisible():
            return
        if self._busy:
            # one build at a time: the next starts when this one is done, so requests never
            # pile up in the pool (and finished meshes never wait in the event queue)
            self._stale = True
            return
        self._stale = False
        self._generation += 1
        req = _Request(self._generation, self._label)
        gt, pred, spacing, label = self._gt, self._pred, self._spacing, self._label
        self._busy = True
        self._set_caption(updating=True)
        self.pool.start(BackgroundJob(req, lambda: _build(gt, pred, spacing, label), self._signals))

    def wait_for_mesh(self, msecs: int = 30000) -> bool:
        """Finish a pending rebuild and show it (tests, screenshots)."""
        if self.timer.isActive():
            self.rebuild()
        done = True
        for _ in range(10):  # a build may start the next when the masks changed meanwhile
            done = self.pool.waitForDone(msecs) and done
            QtWidgets.QApplication.processEvents()
            QtWidgets.QApplication.processEvents()
            if not self._busy and not self.timer.isActive():
                break
        return done

    def reset_camera(self) -> None:
        if self.gl is None or self.surface is None:
            return
        verts = [v for v in (self.surface.pred_vertices, self.surface.ref_vertices) if len(v)]
        if not verts:
            return
        pts = np.concatenate(verts)
        lo, hi = pts.min(0), pts.max(0)
        centre = (lo + hi) / 2.0
        self.gl.opts["center"] = QtGui.QVector3D(*centre.tolist())
        self.gl.setCameraPosition(distance=float(np.linalg.norm(hi - lo)) * 0.9 + 1.0, elevation=20, azimuth=-60)

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if self._stale or (self.surface is None and (self._gt is not None or self._pred is not None)):
            QtCore.QTimer.singleShot(0, self.rebuild)

    # ============================================================= results
    def _done(self, req, built) -> None:
        self._busy = False
        if self._stale:
            QtCore.QTimer.singleShot(0, self.rebuild)  # the masks changed while it was built
        if req.generation != self._generation:
            return  # a request of an earlier case
        self._built = built
        self.surface = built.surface
        self.colors = built.colors
        if built.limit_mm is not None:
            self.limit_mm = built.limit_mm
        self._draw()
        self._set_caption()
        self._set_legend()
        self.meshReady.emit()

    def _failed(self, req, message: str) -> None:
        self._busy = False
        if req.generation == self._generation:
            self.caption.setText(f"3-D: could not build the surfaces ({message})")

    # ============================================================= drawing
    def _clear_items(self) -> None:
        if self.gl is not None:
            for item in self._items.values():
                self.gl.removeItem(item)
        self._items = {}

    def _draw(self) -> None:
        if self.gl is None:
            return
        import pyqtgraph.opengl as gl

        first = not self._items
        self._clear_items()
        s = self.surface
        # the opaque prediction first: the translucent shell drawn after it blends over it
        # instead of hiding it behind its depth
        b = self._built
        if len(s.pred_vertices):
            mesh = gl.GLMeshItem(meshdata=_mesh_data(s.pred_vertices, s.pred_faces, b.pred_normals, self.colors),
                                 smooth=True, shader="shaded", glOptions="opaque")
            self.gl.addItem(mesh)
            self._items["pred"] = mesh
        if len(s.ref_vertices):
            shell = gl.GLMeshItem(meshdata=_mesh_data(s.ref_vertices, s.ref_faces, b.ref_normals), color=_SHELL,
                                  smooth=True, shader="balloon", glOptions="translucent")
            self.gl.addItem(shell)
            self._items["ref"] = shell
        self._draw_cursor()
        if first:
            self.reset_camera()

    def _draw_cursor(self) -> None:
        if self.gl is None or self._cursor is None or self.surface is None:
            return
        import pyqtgraph.opengl as gl

        pos = np.array(self._cursor, float) * np.array(self._spacing)
        item = self._items.get("cursor")
        if item is None:
            item = gl.GLScatterPlotItem(pos=pos[None], size=10, color=(0.94, 0.89, 0.26, 1.0))
            item.setGLOptions("additive")
            self.gl.addItem(item)
            self._items["cursor"] = item
        else:
            item.setData(pos=pos[None])

    def _clicked(self, origin, direction) -> None:
        """Move the cursor to the mask voxel under a click: the first surface the line of sight meets."""
        s = self.surface
        if s is None:
            return
        hits = []
        for verts, faces, mask in ((s.pred_vertices, s.pred_faces, self._pred),
                                   (s.ref_vertices, s.ref_faces, self._gt)):
            hit = ray_mesh_hit(verts, faces, origin, direction, max_edge=float(np.linalg.norm(s.spacing))) \
                if mask is not None else None
            if hit is not None:
                hits.append((hit[0], hit[1], mask))
        if hits:
            _, point, mask = min(hits, key=lambda h: h[0])
            mask, _, label = _focus_masks(mask, None, self._label)
            # the mesh's grid may be pooled: look as far as one block for the mask's voxel
            self.voxelPicked.emit(hit_voxel(point, mask, self._spacing, label, reach=s.step))

    def _set_caption(self, updating: bool = False) -> None:
        label = self._label
        if isinstance(label, RegionFocus):
            what = label.title()
        else:
            what = "all foreground" if label is None else f"label {label} {self._names.get(label, '')}".rstrip()
        s = self.surface
        parts = [f"3-D: {what}"]
        if s is not None:
            parts.append(f"{len(s.pred_vertices):,} + {len(s.ref_vertices):,} vertices")
            if s.step > 1:
                parts.append(f"1 in {s.step} voxels per axis")
        if updating or self._busy:
            parts.append("updating…")
        self.caption.setText("  ·  ".join(parts))

    def _set_legend(self) -> None:
        s = self.surface
        if s is None or not np.isfinite(s.pred_distance_mm).any():
            self.legend.setText("<small>One mask only: its surface, no distances.</small>" if s is not None else "")
            return
        lim = self.limit_mm
        self.legend.setText(
            f"<span style='background:#0072b2;color:white'>&nbsp;−{lim:.1f} mm inside (under-segmented)&nbsp;</span>"
            f"<span style='background:#ebebeb;color:black'>&nbsp;0&nbsp;</span>"
            f"<span style='background:#d55e00;color:white'>&nbsp;+{lim:.1f} mm outside (over-segmented)&nbsp;</span>"
            f"&nbsp;<small>grey shell: reference</small>")

    def shutdown(self) -> None:
        self.timer.stop()
        self._generation += 1
        self.pool.waitForDone(10000)
