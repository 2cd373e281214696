"""``dicegui --regions``: a bad specification is refused before any window opens."""
from __future__ import annotations

from dicegui.gui.app import build_parser, main


def test_bad_regions_exit_2_naming_the_problem(capsys):
    assert main(["--demo", "totalseg", "--regions", "WT=1,x"]) == 2
    err = capsys.readouterr().err
    assert "region 'WT' lists 'x'" in err


def test_regions_option_is_parsed():
    assert build_parser().parse_args(["--regions", "brats2021"]).regions == "brats2021"
