"""Test configuration shared by all test files."""

import os

# Figures in tests are drawn off screen.
os.environ.setdefault("MPLBACKEND", "Agg")
