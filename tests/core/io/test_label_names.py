"""Label files: ITK-SNAP label descriptions, Slicer colour tables, dicegui's JSON sidecar.

The expected values are typed here from the formats' documentation (ITK-SNAP's
default label file, the example of Slicer's "Color table file format" page,
Slicer's GenericAnatomyColors table), not taken from our own output.
"""
from __future__ import annotations

import json
import os
import re
import textwrap

import pytest

from dicegui.core import demo
from dicegui.core.io import LoadError, SaveError
from dicegui.core.io.label_names import (
    MAX_FILE_BYTES,
    LabelEntry,
    LabelTable,
    find_label_table,
    label_table_candidates,
    mask_stem,
    read_label_table,
    save_label_sidecar,
    sidecar_path,
    write_itksnap_labels,
    write_labels_json,
    write_slicer_ctbl,
)

# The first lines of the label file ITK-SNAP writes by default (Export Label Descriptions).
ITKSNAP_DEFAULT = """\
################################################
# ITK-SnAP Label Description File
# File format:
# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
# Fields:
#    IDX:   Zero-based index
#    -R-:   Red color component (0..255)
#    -G-:   Green color component (0..255)
#    -B-:   Blue color component (0..255)
#    -A-:   Label transparency (0.00 .. 1.00)
#    VIS:   Label visibility (0 or 1)
#    IDX:   Label mesh visibility (0 or 1)
#  LABEL:   Label description
################################################
    0     0    0    0        0  0  0    "Clear Label"
    1   255    0    0        1  1  1    "Label 1"
    2     0  255    0        1  1  1    "Label 2"
    3     0    0  255        1  1  1    "Label 3"
   12   230   25   75      0.5  0  1    "Gastrocnemius (medial)"
"""

# The example of Slicer's documentation page "Color table file format (.txt, .ctbl)".
SLICER_DOC_EXAMPLE = """\
# Color table file C:/Users/andra/OneDrive/Projects/SlicerTesting2022/20220109-ColorLegend/Segmentation-label_ColorTable.ctbl
# 4 values
0 Background 0 0 0 0
1 artery 216 101 79 255
2 bone 241 214 145 255
3 connective_tissue 111 184 210 255
"""

# The first lines of Slicer's GenericAnatomyColors table.
SLICER_GENERIC_ANATOMY = """\
# Color table file GenericAnatomyColors.txt
# 8 values
0 background 0 0 0 0
1 tissue 128 174 128 255
2 bone 241 214 145 255
3 skin 177 122 101 255
4 connective_tissue 111 184 210 255
5 blood 216 101 79 255
6 organ 221 130 101 255
7 mass 144 238 144 255
"""


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


# ---------------------------------------------------------------- reading real-world files


def test_itksnap_default_file(tmp_path):
    table = read_label_table(write(tmp_path / "labels.txt", ITKSNAP_DEFAULT))
    assert table.source == "itksnap"
    assert table.names() == {1: "Label 1", 2: "Label 2", 3: "Label 3", 12: "Gastrocnemius (medial)"}
    assert table.colors() == {1: (255, 0, 0), 2: (0, 255, 0), 3: (0, 0, 255), 12: (230, 25, 75)}
    assert table.entries[1].opacity == 1.0 and table.entries[1].visible
    assert table.entries[12] == LabelEntry("Gastrocnemius (medial)", (230, 25, 75), 0.5, False)
    assert 0 not in table.entries  # "Clear Label" is background


def test_slicer_documentation_example(tmp_path):
    table = read_label_table(write(tmp_path / "Segmentation-label_ColorTable.ctbl", SLICER_DOC_EXAMPLE))
    assert table.source == "slicer"
    # Slicer reads "_" in a name as a space.
    assert table.names() == {1: "artery", 2: "bone", 3: "connective tissue"}
    assert table.colors() == {1: (216, 101, 79), 2: (241, 214, 145), 3: (111, 184, 210)}
    assert all(e.opacity == 1.0 for e in table.entries.values())


def test_slicer_generic_anatomy_colors_as_txt(tmp_path):
    table = read_label_table(write(tmp_path / "GenericAnatomyColors.txt", SLICER_GENERIC_ANATOMY))
    assert table.source == "slicer"
    assert table.names()[6] == "organ" and table.colors()[6] == (221, 130, 101)
    assert len(table) == 7


def test_slicer_variants_names_with_spaces_ticks_no_alpha_float_colours(tmp_path):
    text = textwrap.dedent("""\
        # Color table file hand-made.ctbl
        1 left kidney 255 0 0 255
        2 'liver' 0 255 0 128
        3 spleen 0 0 255
        4 Label 2 10.0 20.4 30.6 0
    """)
    table = read_label_table(write(tmp_path / "hand.ctbl", text))
    assert table.names() == {1: "left kidney", 2: "liver", 3: "spleen", 4: "Label 2"}
    assert table.entries[2].opacity == 128 / 255
    assert table.entries[3].opacity is None and table.entries[3].rgb == (0, 0, 255)
    assert table.entries[4].rgb == (10, 20, 31) and table.entries[4].opacity == 0.0


def test_format_is_detected_from_content_not_extension(tmp_path):
    assert read_label_table(write(tmp_path / "a.ctbl", ITKSNAP_DEFAULT)).source == "itksnap"
    assert read_label_table(write(tmp_path / "b.txt", SLICER_DOC_EXAMPLE)).source == "slicer"
    assert read_label_table(write(tmp_path / "c.txt", '{"labels": {"1": "liver"}}')).source == "json"


def test_utf8_bom_and_crlf_and_non_ascii_names(tmp_path):
    text = '\ufeff    1   10 20 30   1 1 1  "Leber – Segment IV"\r\n    2 1 2 3 1 1 1 "肝臓"\r\n'
    table = read_label_table(write(tmp_path / "de.txt", text))
    assert table.names() == {1: "Leber – Segment IV", 2: "肝臓"}


# ---------------------------------------------------------------- JSON forms


def test_json_full_entries(tmp_path):
    doc = {"format": "dicegui-labels", "version": 1, "labels": {
        "1": {"name": "liver", "color": [221, 130, 101], "opacity": 0.25, "visible": False, "future_key": 3},
        "7": {"name": "tumour"},
        "0": {"name": "background"},
    }}
    table = read_label_table(write(tmp_path / "x.labels.json", json.dumps(doc)))
    assert table.entries == {1: LabelEntry("liver", (221, 130, 101), 0.25, False), 7: LabelEntry("tumour")}


def test_json_plain_names_and_nnunet_v2_inverted(tmp_path):
    v1 = read_label_table(write(tmp_path / "dataset.json", '{"name": "Task03", "labels": {"0": "background", '
                                                           '"1": "liver", "2": "cancer"}}'))
    assert v1.names() == {1: "liver", 2: "cancer"}
    v2 = read_label_table(write(tmp_path / "dataset2.json", '{"labels": {"background": 0, "liver": 1, '
                                                            '"cancer": 2}}'))
    assert v2.names() == {1: "liver", 2: "cancer"}


def test_the_shipped_demo_names_file_reads_as_a_table():
    table = read_label_table(demo.DEMO_DIR / demo.LABEL_NAMES_FILE)
    assert table.names() == demo.label_names()


# ---------------------------------------------------------------- round trips

FULL = LabelTable({
    1: LabelEntry("left kidney", (255, 0, 0), 1.0, True),
    2: LabelEntry("liver", (221, 130, 101), 0.6, True),
    17: LabelEntry("Gastrocnemius (medial)", (0, 0, 0), 0.0, True),
    65535: LabelEntry("last", (1, 2, 3), 1.0, True),
})


@pytest.mark.parametrize("writer, suffix", [
    (write_itksnap_labels, ".txt"), (write_slicer_ctbl, ".ctbl"), (write_labels_json, ".labels.json"),
])
def test_write_then_read_back_equal(tmp_path, writer, suffix):
    path = writer(tmp_path / f"t{suffix}", FULL)
    assert read_label_table(path) == FULL


def test_itksnap_keeps_hidden_labels_and_json_keeps_missing_colours(tmp_path):
    hidden = LabelTable({3: LabelEntry("vessel", (9, 8, 7), 0.35, False)})
    assert read_label_table(write_itksnap_labels(tmp_path / "h.txt", hidden)) == hidden
    sparse = LabelTable.from_names({1: "a", 2: "b"}, {2: (5, 6, 7)})
    assert read_label_table(write_labels_json(tmp_path / "s.labels.json", sparse)) == sparse


def test_itksnap_file_written_is_what_itksnap_reads(tmp_path):
    # ITK-SNAP needs the "Clear Label" line and a quoted name; a quote in a name would end it early.
    path = write_itksnap_labels(tmp_path / "q.txt", LabelTable.from_names({4: 'the "bad" one'}, {4: (1, 2, 3)}))
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    assert lines[0].split() == ["0", "0", "0", "0", "0", "0", "0", '"Clear', 'Label"']
    assert lines[1].split()[:7] == ["4", "1", "2", "3", "1", "1", "1"]
    assert read_label_table(path).names() == {4: "the 'bad' one"}


def test_slicer_file_written_is_one_name_token_per_line(tmp_path):
    path = write_slicer_ctbl(tmp_path / "s.ctbl", LabelTable.from_names({2: "left  kidney"}, {2: (4, 5, 6)}))
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# Color table file")
    assert lines[-1] == "2 left_kidney 4 5 6 255"
    assert read_label_table(path).names() == {2: "left kidney"}


def test_writes_are_atomic_and_respect_overwrite(tmp_path):
    target = write(tmp_path / "t.txt", "old")
    with pytest.raises(SaveError, match="exists"):
        write_itksnap_labels(target, FULL, overwrite=False)
    assert target.read_text() == "old"
    write_itksnap_labels(target, FULL)
    assert read_label_table(target) == FULL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]  # no temporary file left
    with pytest.raises(SaveError, match="does not exist"):
        write_labels_json(tmp_path / "no" / "x.labels.json", FULL)


def test_table_refuses_label_zero_and_out_of_range():
    for bad in (0, -1, 65536, "1"):
        with pytest.raises(ValueError):
            LabelTable({bad: LabelEntry("x")})
    assert 0 not in LabelTable.from_names({0: "background", 1: "a"}).entries


# ---------------------------------------------------------------- beside a mask


@pytest.mark.parametrize("name, stem", [
    ("pred.nii.gz", "pred"), ("case1.seg.nrrd", "case1"), ("a.b.nrrd", "a.b"), ("scan.NII", "scan"),
    ("dicom_series", "dicom_series"), (".nii.gz", ".nii.gz"),
])
def test_mask_stem(name, stem):
    assert mask_stem(name) == stem


def test_sidecar_and_candidates(tmp_path):
    mask = tmp_path / "pred.nii.gz"
    assert sidecar_path(mask) == tmp_path / "pred.labels.json"
    assert sidecar_path(str(tmp_path / "series") + "/") == tmp_path / "series.labels.json"
    assert label_table_candidates(mask) == [tmp_path / "pred.labels.json", tmp_path / "pred.ctbl",
                                            tmp_path / "pred.txt"]
    assert find_label_table(mask) is None
    write(tmp_path / "pred.txt", ITKSNAP_DEFAULT)
    assert find_label_table(mask) == tmp_path / "pred.txt"
    write(tmp_path / "pred.ctbl", SLICER_DOC_EXAMPLE)
    assert find_label_table(mask) == tmp_path / "pred.ctbl"
    (tmp_path / "pred.labels.json").mkdir()  # a folder is not a label file
    assert find_label_table(mask) == tmp_path / "pred.ctbl"


def test_save_label_sidecar(tmp_path):
    mask = tmp_path / "pred_corrected.nii.gz"
    assert save_label_sidecar(mask, {}, {}) is None
    assert not any(tmp_path.iterdir())
    path = save_label_sidecar(mask, {1: "liver", 5: "spleen"}, {1: (221, 130, 101)})
    assert path == tmp_path / "pred_corrected.labels.json"
    doc = json.loads(path.read_text())
    assert doc == {"format": "dicegui-labels", "version": 1, "labels": {
        "1": {"name": "liver", "color": [221, 130, 101]}, "5": {"name": "spleen"}}}
    save_label_sidecar(mask, {1: "hepar"})  # replaces the older sidecar
    assert read_label_table(find_label_table(mask)).names() == {1: "hepar"}


# ---------------------------------------------------------------- hostile files

HOSTILE = [
    ("garbage.txt", bytes(range(256)) * 4, r"line 1: binary data"),
    ("index.txt", "# ok\n  1 1 2 3 1 1 1 \"a\"\n  x2 1 2 3 1 1 1 \"b\"\n", r"line 3: label index 'x2' is not a whole"),
    ("twice.ctbl", "1 a 1 2 3 255\n2 b 1 2 3 255\n1 c 1 2 3 255\n", r"line 3: label 1 is listed twice"),
    ("negative.ctbl", "-4 a 1 2 3 255\n", r"line 1: label -4 is outside 0\.\.65535"),
    ("huge.txt", '65536 1 2 3 1 1 1 "a"\n', r"line 1: label 65536 is outside"),
    ("latin1.txt", '1 1 2 3 1 1 1 "a"\n2 1 2 3 1 1 1 "Gef\xe4\xdf"\n'.encode("latin-1"),
     r"line 2: not UTF-8"),
    ("colour.ctbl", "1 a 300 2 3 255\n", r"line 1: red 300 is outside 0\.\.255"),
    ("alpha.txt", '1 1 2 3 2.5 1 1 "a"\n', r"line 1: alpha 2\.5 is outside 0\.\.1"),
    ("short.ctbl", "1 a 1 2\n", r"line 1: expected index name R G B"),
    ("unquoted.txt", '1 1 2 3 1 1 1 "a"\n2 1 2 3 1 1 1 b\n', r"line 2: expected .*double quotes"),
    ("fields.txt", '1 1 2 3 1 "a"\n', r"line 1: expected 7 numbers"),
    ("empty.txt", "# only a comment\n\n", r"no label lines"),
    ("scale.txt", "# Color procedural file /x.txt\n# 2 points\n0 0 0 0\n255 1 1 1\n", r"continuous colour scale"),
    ("broken.json", '{"labels": {"1": "a",\n "2": }}', r"line 2: not valid JSON"),
    ("deep.json", '{"a": ' * 100000 + "1" + "}" * 100000, r"nested too deeply"),
    ("array.json", "[" * 100000 + "]" * 100000, r"nested too deeply|needs a \"labels\" object"),
    ("bigint.json", '{"labels": {"1": ' + "9" * 5000 + "}}", r"JSON"),
    ("noname.json", '{"labels": {"1": {"color": [1, 2, 3]}}}', r"label '1': expected a name"),
    ("rgb.json", '{"labels": {"1": {"name": "a", "color": [1, 2]}}}', r"three whole numbers"),
    ("other.json", '{"format": "something-else", "labels": {}}', r"is not 'dicegui-labels'"),
    ("newer.json", '{"format": "dicegui-labels", "version": 2, "labels": {}}', r"newer dicegui"),
    ("nolabels.json", '{"1": "liver"}', r'needs a "labels" object'),
]


@pytest.mark.parametrize("name, content, reason", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_label_files_give_one_line_naming_file_and_line(tmp_path, name, content, reason):
    path = write(tmp_path / name, content)
    with pytest.raises(LoadError) as info:
        read_label_table(path)
    message = str(info.value)
    assert message.startswith(f"{name}: "), message
    assert "\n" not in message and len(message) < 400, message
    assert re.search(reason, message), message


def test_oversized_file_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:  # sparse: the size is declared, nothing is written
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(LoadError, match=r"big\.txt: .*too large"):
        read_label_table(path)


def test_missing_folder_and_fifo_refused(tmp_path):
    with pytest.raises(LoadError, match=r"nothing\.txt: cannot read"):
        read_label_table(tmp_path / "nothing.txt")
    with pytest.raises(LoadError, match=r"not a regular file"):
        read_label_table(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.txt")
        with pytest.raises(LoadError, match=r"pipe\.txt: not a regular file"):
            read_label_table(tmp_path / "pipe.txt")


# ---------------------------------------------------------------- load_case


def _label_maps(tmp_path):
    import nibabel as nib
    import numpy as np

    gt = np.zeros((6, 5, 4), np.uint8)
    gt[1:3, 1:3, 1:3], gt[3:5, 2:4, 1:3] = 1, 2
    pred = gt.copy()
    pred[0, 0, 0] = 3
    for name, data in (("case_gt.nii.gz", gt), ("case_pred.nii.gz", pred)):
        nib.save(nib.Nifti1Image(data, np.eye(4)), str(tmp_path / name))
    return tmp_path / "case_gt.nii.gz", tmp_path / "case_pred.nii.gz"


def test_load_case_reads_the_sidecars_beside_both_masks(tmp_path):
    from dicegui.core.io import load_case

    gt, pred = _label_maps(tmp_path)
    write(tmp_path / "case_gt.txt", '1 10 20 30 1 1 1 "liver"\n2 40 50 60 1 1 1 "spleen"\n')
    write(tmp_path / "case_pred.labels.json", '{"labels": {"2": "milt", "3": {"name": "tumour", '
                                              '"color": [1, 2, 3]}}}')
    case = load_case(gt=gt, pred=pred)
    # the ground truth's file comes first; the prediction's fills in label 3
    assert case.label_names == {1: "liver", 2: "spleen", 3: "tumour"}
    assert case.label_colors == {1: (10, 20, 30), 2: (40, 50, 60), 3: (1, 2, 3)}
    assert not any("label" in w for w in case.warnings)


def test_load_case_a_broken_sidecar_is_a_warning_naming_it(tmp_path):
    from dicegui.core.io import load_case

    gt, pred = _label_maps(tmp_path)
    write(tmp_path / "case_pred.ctbl", "1 liver 1 2 3 255\n1 again 1 2 3 255\n")
    case = load_case(gt=gt, pred=pred)
    assert case.label_names == {} and case.gt_mask is not None
    assert [w for w in case.warnings if "case_pred.ctbl: line 2: label 1 is listed twice" in w]


def test_load_case_seg_nrrd_names_win_over_a_sidecar_and_explicit_file_wins_over_all(tmp_path):
    import nrrd
    import numpy as np

    from dicegui.core.io import load_case

    labels = np.zeros((5, 6, 7), np.uint8)
    labels[1:3, 1:3, 1:3], labels[3:5, 3:5, 3:5] = 1, 3
    header = {"space": "left-posterior-superior", "space directions": np.eye(3), "space origin": np.zeros(3),
              "kinds": ["domain"] * 3, "Segment0_ID": "S1", "Segment0_Name": "liver",
              "Segment0_LabelValue": "1", "Segment0_Layer": "0", "Segment1_ID": "S3",
              "Segment1_Name": "tumour", "Segment1_LabelValue": "3", "Segment1_Layer": "0"}
    seg = tmp_path / "case.seg.nrrd"
    nrrd.write(str(seg), labels, header)
    write(tmp_path / "case.labels.json", '{"labels": {"1": "hepar", "2": "spleen"}}')
    case = load_case(gt=seg)
    assert case.label_names == {1: "liver", 2: "spleen", 3: "tumour"}

    explicit = write_slicer_ctbl(tmp_path / "names.ctbl", LabelTable.from_names({3: "lesion"}, {3: (9, 9, 9)}))
    case = load_case(gt=seg, label_names=explicit)
    assert case.label_names == {1: "liver", 2: "spleen", 3: "lesion"}
    assert case.label_colors == {3: (9, 9, 9)}


def test_load_case_a_broken_explicit_file_is_an_error(tmp_path):
    from dicegui.core.io import load_case

    gt, pred = _label_maps(tmp_path)
    bad = write(tmp_path / "names.txt", b"\x89PNG\r\n\x1a\n\0\0\0")
    with pytest.raises(LoadError, match=r"names\.txt: line 3: binary data"):
        load_case(gt=gt, pred=pred, label_names=bad)
    with pytest.raises(LoadError, match=r"absent\.txt: cannot read"):
        load_case(gt=gt, pred=pred, label_names=tmp_path / "absent.txt")
