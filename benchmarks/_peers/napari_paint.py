"""napari's Labels layer painting, timed; run by ``bench_napari_peer.py`` with napari's own Python.

Usage: ``<napari venv>/bin/python napari_paint.py SPEC.json``. SPEC names
cases ``{"name": {"npy": path, "label": int, "radius": int, "plane": int,
"points": [[row, col], ...], "rounds": n}}``; each case's labels are loaded
into a ``napari.layers.Labels`` layer of a viewer that is not shown, and a
dab is ``layer.paint(coord, label, refresh=True)`` at each point of the
path across ``plane`` (alternately painting ``label`` and erasing with 0,
so every dab changes voxels). Prints one JSON object: the per-dab times in
seconds of every case.

Under ``QT_QPA_PLATFORM=offscreen`` napari has no OpenGL and draws
nothing: the times hold napari's data write and layer refresh, not drawing.
"""
from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402


def time_case(viewer, spec: dict) -> list[float]:
    data = np.load(spec["npy"], allow_pickle=False)
    layer = viewer.add_labels(data, name="labels")
    layer.brush_size = 2 * int(spec["radius"]) + 1
    layer.n_edit_dimensions = 2  # a disc on the slice, as dicegui's 2-D brush
    plane = int(spec["plane"])
    if data.ndim == 3:
        step = list(viewer.dims.current_step)
        step[plane] = int(spec["slice"])
        viewer.dims.current_step = tuple(step)
        viewer.dims.order = tuple([plane] + [a for a in range(3) if a != plane])
    times = []
    for r in range(int(spec["rounds"])):
        value = int(spec["label"]) if r % 2 == 0 else 0
        for row, col in spec["points"]:
            coord = [row, col] if data.ndim == 2 else _coord(plane, int(spec["slice"]), row, col)
            t0 = time.perf_counter()
            layer.paint(coord, value, refresh=True)
            times.append(time.perf_counter() - t0)
    viewer.layers.remove(layer)
    return times


def _coord(plane: int, index: int, row: int, col: int) -> list[int]:
    rest = [a for a in range(3) if a != plane]
    out = [0, 0, 0]
    out[plane], out[rest[0]], out[rest[1]] = index, row, col
    return out


def main(argv) -> int:
    import napari

    with open(argv[1]) as fh:
        specs = json.load(fh)
    viewer = napari.Viewer(show=False)
    out = {"napari": napari.__version__, "cases": {}}
    for name, spec in specs.items():
        out["cases"][name] = time_case(viewer, spec)
    viewer.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
