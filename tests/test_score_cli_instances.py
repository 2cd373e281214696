"""dicegui score --instances on panoptica's spine examples, against panoptica's published numbers."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dicegui import score_cli

PANOPTICA = Path(__file__).resolve().parents[2] / "shared" / "data" / "panoptica"

# panoptica's published results for its examples (BrainLesion tutorials, panoptica 0.5.20;
# NaiveThresholdMatching at IoU 0.5), as in tests/core/test_instances.py.
PUBLISHED = {
    "semantic": dict(tp=73, fp=16, fn=14, rq=0.8295454545454546, sq=0.7940127477906024, pq=0.6586696657808406),
    "unmatched_instance": dict(tp=19, fp=3, fn=3, rq=0.8636363636363636, sq=0.8328184295330797,
                               pq=0.7192522800512962),
}


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    rc = score_cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("kind, flags", [("semantic", []), ("unmatched_instance", ["--instance-labels"])])
def test_instances_match_panoptica(kind, flags):
    folder = PANOPTICA / kind
    if not (folder / "ref.nii.gz").exists():
        pytest.skip("panoptica examples absent")
    rc, out, err = run([folder / "ref.nii.gz", folder / "pred.nii.gz", "--instances", *flags])
    assert rc == 0, err
    doc = json.loads(out)
    pub = PUBLISHED[kind]
    assert (doc["instance_tp"], doc["instance_fp"], doc["instance_fn"]) == (pub["tp"], pub["fp"], pub["fn"])
    for ours, theirs in (("rq", "rq"), ("sq", "sq"), ("pq", "pq"), ("instance_f1", "rq")):
        assert doc[ours] == pytest.approx(pub[theirs], abs=1e-12)
    assert doc["instance_precision"] == pytest.approx(pub["tp"] / (pub["tp"] + pub["fp"]), abs=1e-15)
    assert doc["instance_recall"] == pytest.approx(pub["tp"] / (pub["tp"] + pub["fn"]), abs=1e-15)
    assert len(doc["instances"]["matches"]) == pub["tp"]
    if flags:
        # instance ids are not semantic labels: no per-label table of 22 "labels"
        assert "per_label" not in doc and "confusion" not in doc


def test_unmatched_instance_ids_make_per_label_dice_meaningless_but_instances_say_it(tmp_path):
    folder = PANOPTICA / "unmatched_instance"
    if not (folder / "ref.nii.gz").exists():
        pytest.skip("panoptica examples absent")
    rc, out, err = run([folder / "ref.nii.gz", folder / "pred.nii.gz", "--instances", "--instance-labels",
                        "--format", "csv"])
    assert rc == 0, err
    row = next(csv.DictReader(io.StringIO(out)))
    # the foreground is right (0.974, the number) and 19 of 22 vertebrae are found
    assert float(row["dice"]) == pytest.approx(0.974, abs=5e-4)
    assert row["instance_tp"] == "19" and float(row["pq"]) == pytest.approx(PUBLISHED["unmatched_instance"]["pq"])
    assert "instances_matches" not in row and not any(k.startswith("label") for k in row)
