"""The cohort worklist window: cases worst first, review status and notes (issue 6)."""
