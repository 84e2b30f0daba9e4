"""SymPy derivations of the lecture, one module per chapter."""
