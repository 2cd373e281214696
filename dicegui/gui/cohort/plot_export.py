"""Write a pyqtgraph plot as PNG or SVG, chosen by the file's suffix.

PNG goes through pyqtgraph's ImageExporter. SVG goes through Qt's own SVG
painter: pyqtgraph 0.14's SVGExporter rewrites path coordinates and fails on
the closing ``Z`` that Qt 6.11 writes for every rectangle (pyqtgraph issue
#3495), so it cannot export even an empty plot here.
"""
from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (ImageExporter)
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"


def export_plot(plot_item: pg.PlotItem, path, title: str = "dicegui plot") -> Path:
    """Write ``plot_item`` to ``path`` as PNG or SVG, by the suffix.

    Parameters
    ----------
    plot_item : pyqtgraph.PlotItem
        The plot, axes and all.
    path : str or Path
        Where to write; ``.png`` or ``.svg`` (any case).
    title : str
        The SVG document's title.

    Returns
    -------
    Path
        ``path``, written and not empty.

    Raises
    ------
    ValueError
        The suffix is neither ``.png`` nor ``.svg``.
    OSError
        The file cannot be written (the message names it).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        pg.exporters.ImageExporter(plot_item).export(str(path))
    elif suffix == ".svg":
        _write_svg(plot_item, path, title)
    else:
        raise ValueError(f"{path}: export a plot as .png or .svg, not {suffix or 'a name without suffix'}")
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"{path}: the plot could not be written")
    return path


def ask_and_export(parent: QtWidgets.QWidget, plot_item: pg.PlotItem, caption: str, start: Path,
                   title: str = "dicegui plot") -> Path | None:
    """Ask for a file name (starting at ``start``) and export there; a failure is shown, not raised.

    Returns
    -------
    Path or None
        The file written, or None when the user cancelled or the export failed.
    """
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, caption, str(start), FILTERS)
    if not path:
        return None
    try:
        return export_plot(plot_item, path, title)
    except (ValueError, OSError) as exc:
        QtWidgets.QMessageBox.warning(parent, "Could not export the plot", str(exc))
        return None


def _write_svg(item: pg.PlotItem, path: Path, title: str) -> None:
    """Render a plot item into an SVG file with Qt's SVG painter."""
    rect = item.sceneBoundingRect()
    gen = QtSvg.QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(rect.size().toSize())
    gen.setViewBox(QtCore.QRectF(0, 0, rect.width(), rect.height()))
    gen.setTitle(title)
    painter = QtGui.QPainter()
    if not painter.begin(gen):
        raise OSError(f"{path}: cannot write an SVG file there")
    try:
        item.scene().render(painter, QtCore.QRectF(0, 0, rect.width(), rect.height()), rect)
    finally:
        painter.end()
