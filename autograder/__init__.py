"""Sandboxed autograder for the deep-learning course's assignments."""
__version__ = "0.1.0"
