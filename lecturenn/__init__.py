"""lecturenn: the executable companion of K. V. Vorontsov's lecture on neural networks."""

__version__ = "0.1.0"
