"""Hostile regions and tolerance files: one line naming the file, at once, for both parsers.

Every file is made here, small: a deep nesting of 100,000 brackets is 200 kB,
a "huge" file is one byte over the limit, and the 10^6-region file is refused
by its size before it is parsed.
"""
import json
import os
import time

import pytest

from dicegui.core import spec_files
from dicegui.core.region_groups import RegionSpecError, parse_regions
from dicegui.core.tolerances import ToleranceSpecError, parse_tolerances

PARSERS = {
    "regions": (parse_regions, RegionSpecError),
    "tolerances": (parse_tolerances, ToleranceSpecError),
}


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


def _loop(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    os.symlink(b, a)
    os.symlink(a, b)
    return a


# name -> (builder, reason the message must give)
HOSTILE = {
    "deep": (lambda d: _write(d / "deep.json", b"[" * 100_000 + b"]" * 100_000), "nested too deeply"),
    "too_large": (lambda d: _write(d / "big.json", b" " * (spec_files.MAX_SPEC_BYTES + 1)), "too large"),
    "latin1": (lambda d: _write(d / "latin1.json", b'{"WT": [1], "\xe9": [2]}'), "not UTF-8"),
    "utf16": (lambda d: _write(d / "utf16.json", '{"1": 1}'.encode("utf-16")), "not UTF-8"),
    "long_int": (lambda d: _write(d / "digits.json", b'{"WT": [' + b"9" * 5000 + b"]}"), "digits"),
    "duplicate_key": (lambda d: _write(d / "dup.json", b'{"WT": [1], "WT": [2]}'), "given twice"),
    "not_json": (lambda d: _write(d / "text.json", b"WT=1,2"), "not a JSON"),
    "folder": (lambda d: (d / "dir.json").mkdir() or d / "dir.json", "folder"),
    "fifo": (_fifo, "named pipe"),
    "link_loop": (_loop, "cannot be read"),
    "missing": (lambda d: d / "nowhere.json", "cannot be read"),
}


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_spec_file_is_one_line_naming_it_and_fast(kind, name, tmp_path):
    parse, error = PARSERS[kind]
    build, reason = HOSTILE[name]
    path = build(tmp_path)
    t0 = time.perf_counter()
    with pytest.raises(error) as info:
        parse(os.path.join(str(path)))  # as typed on the command line: text
    elapsed = time.perf_counter() - t0
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert reason.lower() in message.lower(), message
    assert "\n" not in message and len(message) < 300, message
    assert elapsed < 1.0


@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_a_device_is_refused_as_a_file_not_read(kind):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    parse, error = PARSERS[kind]
    with pytest.raises(error, match=r"^/dev/zero: not a regular file \(a device\)"):
        parse("/dev/zero")


def test_a_million_regions_is_refused_by_size_before_parsing(tmp_path):
    path = tmp_path / "million.json"
    with open(path, "w") as fh:  # written in pieces: a dict of 10^6 entries takes seconds to dump
        fh.write('{"regions": {' + ", ".join(f'"R{i}": [{i + 1}]' for i in range(10**6)) + "}}")
    t0 = time.perf_counter()
    with pytest.raises(RegionSpecError, match="too large"):
        parse_regions(str(path))
    assert time.perf_counter() - t0 < 0.5


def test_more_regions_than_the_limit_is_refused_by_count(tmp_path):
    from dicegui.core.region_groups import MAX_REGIONS

    path = tmp_path / "many.json"
    path.write_text(json.dumps({f"R{i}": [i + 1] for i in range(MAX_REGIONS + 1)}))
    with pytest.raises(RegionSpecError, match=f"{MAX_REGIONS + 1} regions"):
        parse_regions(str(path))
    path.write_text(json.dumps({f"R{i}": [i + 1] for i in range(MAX_REGIONS)}))
    assert len(parse_regions(str(path))) == MAX_REGIONS


def test_utf8_bom_is_read(tmp_path):
    # Notepad writes one; the content is still plain JSON
    path = _write(tmp_path / "bom.json", b'\xef\xbb\xbf{"WT": [1, 2]}')
    assert parse_regions(str(path)) == {"WT": (1, 2)}
    path = _write(tmp_path / "bom_tol.json", b'\xef\xbb\xbf{"1": 2.5}')
    assert parse_tolerances(str(path)).for_key(1) == 2.5


@pytest.mark.parametrize("value, reason", [
    ("1e400", "not a label number"),            # json reads it as inf
    (str(2**64), "labels are 1 to"),
    ("true", "not a label number"),
    ("null", "not a label number"),
    ('"1.0"', "not a whole number"),
    ('"\u00b2"', "not a whole number"),          # '²'.isdigit() is True, int() refuses it
    ('"\u0663"', "not a whole number"),          # Arabic-Indic 3: int() would read 3
    ("1.5", "not a label number"),
    ("0", "labels are 1 to"),
    ("9" * 300, "labels are 1 to"),
])
def test_region_label_values_that_are_not_labels(value, reason, tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"regions": {"WT": [' + value + "]}}")
    with pytest.raises(RegionSpecError) as info:
        parse_regions(str(path))
    message = str(info.value)
    assert message.startswith(str(path)) and reason in message, message
    assert len(message) < 200, message  # a 300-digit label is cut short in the message


def test_region_label_written_as_whole_float_is_read():
    assert parse_regions({"WT": [1.0, "4"]}) == {"WT": (1, 4)}


@pytest.mark.parametrize("name", ["1", "007"])
def test_region_names_of_digits_only_are_refused(name):
    # a tolerance table reads "1=2" as label 1: such a region could never get its own tolerance
    with pytest.raises(RegionSpecError, match="is a label number"):
        parse_regions(f"{name}=1,2")


@pytest.mark.parametrize("text, reason", [
    ("1=2;01=3", "given twice"),
    ("*=1;default=2", "given twice"),
    ("\u0663=2", "not a label number"),
    ("4294967296=1", "not a label 1 to"),
    ("1=nan", "not a non-negative distance"),
    ("1=inf", "not a non-negative distance"),
    ("1=-1", "not a non-negative distance"),
    ("1=1e400", "not a non-negative distance"),
])
def test_tolerance_tables_that_cannot_be_used(text, reason):
    with pytest.raises(ToleranceSpecError, match=reason):
        parse_tolerances(text)


def test_tolerance_file_with_huge_integer_value_names_the_file(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"1": ' + "9" * 400 + "}")  # float() overflows
    with pytest.raises(ToleranceSpecError) as info:
        parse_tolerances(str(path))
    assert str(info.value).startswith(f"{path} (1): ") and len(str(info.value)) < 200


def test_a_number_as_tolerance_is_not_taken_for_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "2.0").write_text("not json")
    assert parse_tolerances("2.0").default == 2.0


def test_below_voxel_warning_of_a_generated_table_stays_short():
    from dicegui.core.tolerances import below_voxel_warning

    table = parse_tolerances({str(i): 0.5 + i * 1e-4 for i in range(1, 5001)})
    warning = below_voxel_warning(table, (1.0, 1.0, 3.0))
    assert warning.startswith("NSD tolerance 0.5001, 0.5002, 0.5003, 0.5004, 0.5005 and 4995 more mm")  # 5,000 values (the last equals the default)
    assert len(warning) < 200
    few = below_voxel_warning(parse_tolerances("*=2;1=0.5;2=0.25"), (1.0, 1.0, 3.0))
    assert few.startswith("NSD tolerance 0.25, 0.5, 2 mm is below the largest voxel spacing (3 mm)")


@pytest.mark.parametrize("text", ["1_0", "\u0663", "1=1_5", "*=\u0663"])
def test_tolerance_numbers_are_plain_ascii(text):
    # float() reads "1_0" as 10 and Arabic-Indic 3 as 3
    with pytest.raises(ToleranceSpecError, match="is not a distance in mm"):
        parse_tolerances(text)


def test_a_wrapper_key_holding_no_table_is_refused_not_taken_for_a_structure(tmp_path):
    regions = _write(tmp_path / "r.json", b'{"regions": [1, 2]}')
    with pytest.raises(RegionSpecError, match=r"expected \{\"regions\""):
        parse_regions(str(regions))
    tolerances = _write(tmp_path / "t.json", b'{"tolerances": 2}')
    with pytest.raises(ToleranceSpecError, match=r"expected \{\"default\""):
        parse_tolerances(str(tolerances))
