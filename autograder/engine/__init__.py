"""The grading engine: pytest runs an assignment's check modules against one submission."""
from autograder.engine.checks import Credit, check, grader_only

__all__ = ["check", "Credit", "grader_only"]
