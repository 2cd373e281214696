"""Wording of an edit's report: every changed label, the foreground, ΔDice with enough digits."""
import pytest

from dicegui.core.edits.change_report import MAX_LABELS, edit_report, label_change_text, signed_figure


@pytest.mark.parametrize("value,kwargs,text", [
    (0.0041204, {}, "+0.004120"),          # 4 significant digits, not "+0.0041"
    (-0.000123456, {}, "\u22120.0001235"),
    (0.5, {"min_decimals": 4}, "+0.5000"),
    (0.0, {}, "±0"),
    (1e-15, {}, "±0"),                       # arithmetic noise of an unchanged Dice
    (1147, {}, "+1,147"),
    (-55, {}, "\u221255"),
    (3.2116, {"digits": 3}, "+3.21"),
    (1.2e-5, {}, "+0.00001200"),            # fixed notation, never 1.2e-05
    (float("nan"), {}, "undefined"),
])
def test_signed_figure(value, kwargs, text):
    assert signed_figure(value, **kwargs) == text


def test_a_55_voxel_change_of_a_large_organ_is_visible():
    # Dice of a 100,000-voxel organ after 55 false voxels are removed: 2·TP/(|G|+|P|)
    tp, g, p = 90_000, 100_000, 100_055
    before = 2 * tp / (g + p)
    after = 2 * tp / (g + p - 55)
    assert signed_figure(after - before, min_decimals=4) != "+0.0000"
    assert signed_figure(after - before, min_decimals=4) == f"+{after - before:.7f}"[:10]


def test_report_of_the_issue_stroke():
    text = edit_report({7: -55, 20: 1147}, 1092, names={7: "pancreas", 20: "colon"},
                       size_per_voxel=0.0028, size_unit="mL",
                       dice_changes={"label 20": 0.0041204, "label 7": -0.000123456})
    assert text == ("label 20 colon +1,147 vox (+3.21 mL), label 7 pancreas \u221255 vox (\u22120.154 mL); "
                    "foreground +1,092; ΔDice(label 20) +0.004120; ΔDice(label 7) \u22120.0001235")


def test_report_without_sizes_and_with_many_labels():
    changes = {k: -k for k in range(1, MAX_LABELS + 3)}
    text = edit_report(changes, -36, size_unit="voxels")
    assert "mL" not in text and "2 more labels" in text
    assert text.startswith(f"label {MAX_LABELS + 2} \u2212{MAX_LABELS + 2} vox")  # largest change first
    assert text.endswith("foreground \u221236")


def test_label_text_without_name():
    assert label_change_text(3, 12) == "label 3 +12 vox"

