"""Finding errors fast: per-slice Dice plot, error-region navigator, HD95 marker (issue 6)."""
