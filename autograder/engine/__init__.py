"""The grading engine: pytest runs an assignment's check modules against one submission."""
from autograder.engine.checks import Credit, KnownMistake, check, grader_only

__all__ = ["check", "Credit", "KnownMistake", "grader_only"]
