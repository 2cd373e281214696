#!/usr/bin/env python3
"""Rebuild ``resources/demo/`` from the TotalSegmentator 2.18.0 source distribution.

Usage::

    pip download --no-deps --no-binary :all: totalsegmentator==2.18.0 -d /tmp/ts
    python resources/build_demo.py /tmp/ts/totalsegmentator-2.18.0.tar.gz
    # or an already extracted tree:
    python resources/build_demo.py /tmp/ts/totalsegmentator-2.18.0

The three NIfTI files are copied byte for byte (nothing is changed) and checked
against the SHA-256 sums recorded in ``resources/demo/SHA256SUMS``. The label
names are read from ``totalsegmentator/map_to_binary.py`` by parsing it with
:mod:`ast` (``class_map["total"]``): TotalSegmentator is never imported, so
none of its dependencies (torch, nnU-Net) are needed.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "2.18.0"
DEMO_DIR = Path(__file__).resolve().parent / "demo"
# (path inside the sdist, name in resources/demo)
FILES = (
    ("tests/reference_files/example_ct_sm.nii.gz", "example_ct_sm.nii.gz"),
    ("tests/reference_files/example_seg.nii.gz", "example_seg.nii.gz"),
    ("tests/reference_files/example_seg_fast.nii.gz", "example_seg_fast.nii.gz"),
)
CLASS_MAP_FILE = "totalsegmentator/map_to_binary.py"
LABELS_JSON = "label_names.json"


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_class_map(map_to_binary: Path, task: str = "total") -> dict[int, str]:
    """Return ``class_map[task]`` from TotalSegmentator's ``map_to_binary.py`` without importing it.

    Parameters
    ----------
    map_to_binary : pathlib.Path
        The source file.
    task : str
        Key of the top-level ``class_map`` dictionary.

    Returns
    -------
    dict
        ``{label: name}``.
    """
    tree = ast.parse(map_to_binary.read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "class_map" for t in node.targets)
        ):
            class_map = ast.literal_eval(node.value)
            return {int(k): str(v) for k, v in class_map[task].items()}
    raise ValueError(f"{map_to_binary}: no top-level 'class_map = {{...}}' assignment found")


def _source_root(source: Path, workdir: Path) -> Path:
    if source.is_dir():
        return source
    if source.name.endswith(".tar.gz"):
        with tarfile.open(source) as tar:
            wanted = [f"totalsegmentator-{VERSION}/{p}" for p, _ in FILES]
            wanted.append(f"totalsegmentator-{VERSION}/{CLASS_MAP_FILE}")
            members = [tar.getmember(w) for w in wanted]
            tar.extractall(workdir, members=members, filter="data")
        return workdir / f"totalsegmentator-{VERSION}"
    raise ValueError(f"{source}: expected the extracted sdist folder or totalsegmentator-{VERSION}.tar.gz")


def read_sums(path: Path) -> dict[str, str]:
    sums = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                digest, name = line.split(maxsplit=1)
                sums[name.strip()] = digest
    return sums


def build(source: Path, out_dir: Path = DEMO_DIR) -> None:
    """Copy the demo files into ``out_dir``, check their sums and write the label names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    expected = read_sums(out_dir / "SHA256SUMS")
    with tempfile.TemporaryDirectory() as tmp:
        root = _source_root(source, Path(tmp))
        for rel, name in FILES:
            shutil.copyfile(root / rel, out_dir / name)
            digest = sha256(out_dir / name)
            if name in expected and expected[name] != digest:
                raise SystemExit(
                    f"{name}: SHA-256 {digest} differs from the recorded {expected[name]}; "
                    "is this really TotalSegmentator 2.18.0?"
                )
            print(f"{name}  {digest}")
        names = read_class_map(root / CLASS_MAP_FILE)
    doc = {
        "source": f"TotalSegmentator {VERSION}, {CLASS_MAP_FILE}, class_map['total']",
        "labels": {str(k): v for k, v in sorted(names.items())},
    }
    (out_dir / LABELS_JSON).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"{LABELS_JSON}: {len(names)} label names")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help=f"totalsegmentator-{VERSION}.tar.gz or its extracted folder")
    parser.add_argument("--out", type=Path, default=DEMO_DIR, help="output folder (default: resources/demo)")
    args = parser.parse_args(argv)
    build(args.source, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
