"""The teaching panel: live formulas, accuracy trap, probability maps, smooth term, gradients, exercise (issue 6)."""
