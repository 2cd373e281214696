"""Real contours through DICOM: two raters' head-and-neck organs written as SEG and RT Structure Set and scored.

The organs of ``../shared/data/deepmind_hn_oar`` (an oncologist's and a
radiographer's, NRRD files with real geometry) are written onto a CT series
with that geometry, the oncologist's as a DICOM SEG and the radiographer's
as an RT Structure Set (contours traced from the masks). ``dicegui score``
on the series must give each organ the Dice that NumPy computes from the
NRRD files read with pynrrd: the SEG round trip is exact, and so is the
structure set's rasterisation of contours traced on the voxel grid.
"""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from dicegui import score_cli
from synthetic_dicom import write_ct_series

pytest.importorskip("highdicom")
nrrd = pytest.importorskip("nrrd")

ORGANS = ("Parotid-Lt", "Parotid-Rt", "Brainstem", "Mandible", "Spinal-Cord")


def _label_map(folder):
    out, header = None, None
    for label, organ in enumerate(ORGANS, 1):
        data, header = nrrd.read(str(folder / f"{organ}.nrrd"))
        if out is None:
            out = np.zeros(data.shape, np.uint8)
        out[data != 0] = label
    return out, header


def test_two_raters_through_seg_and_rtstruct_score_as_their_nrrd_files(shared_data, tmp_path):
    from dicegui.core.io.opening import open_case
    from dicegui.core.io.dicom_seg import write_seg
    from dicegui.core.io.rtstruct import write_rtstruct

    case = shared_data / "deepmind_hn_oar" / "0522c0057"
    ref, header = _label_map(case / "oncologist")
    pred, _ = _label_map(case / "radiographer")
    directions = np.asarray(header["space directions"], float)
    assert header["space"] == "left-posterior-superior" and np.allclose(directions, np.diag(np.diag(directions)))
    # NRRD index (i, j, k) runs along x, y, z; a DICOM pixel (row, column) runs along y, x: swap the first two
    rows, cols, n = ref.shape[1], ref.shape[0], ref.shape[2]
    write_ct_series(tmp_path / "ct", n=n, rows=rows, cols=cols, spacing=(directions[1, 1], directions[0, 0]),
                    step=directions[2, 2], origin=tuple(header["space origin"]))
    names = dict(enumerate(ORGANS, 1))
    write_seg(ref.transpose(1, 0, 2), tmp_path / "ct", tmp_path / "oncologist_seg.dcm", names=names)
    write_rtstruct(pred.transpose(1, 0, 2), tmp_path / "ct", tmp_path / "radiographer_rt.dcm", names=names)

    out, err = io.StringIO(), io.StringIO()
    code = score_cli.main([str(tmp_path / "ct"), "--gt-seg", str(tmp_path / "oncologist_seg.dcm"),
                           "--pred-rtstruct", str(tmp_path / "radiographer_rt.dcm"), "--format", "json"],
                          stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    per_label = json.loads(out.getvalue())["per_label"]
    for label, organ in names.items():
        g, p = ref == label, pred == label
        expected = 2 * np.count_nonzero(g & p) / (np.count_nonzero(g) + np.count_nonzero(p))
        assert per_label[str(label)]["name"] == organ
        assert per_label[str(label)]["dice"] == pytest.approx(expected, abs=1e-12), organ
    # and voxel for voxel, as the window opens them
    opened = open_case(image=tmp_path / "ct", gt=tmp_path / "oncologist_seg.dcm",
                       pred=tmp_path / "radiographer_rt.dcm")
    assert np.array_equal(opened.gt_mask, ref.transpose(1, 0, 2))
    assert np.array_equal(opened.pred_mask, pred.transpose(1, 0, 2))
