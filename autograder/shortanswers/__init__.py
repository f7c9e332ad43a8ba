"""Short answers: bilingual (English / Chinese) rubric grading of markdown answer cells.

    from autograder.shortanswers import load_rubric, grade_short_answers
    rubric = load_rubric(paths.rubrics_file)
    checks = grade_short_answers(notebook, rubric, release_prompts=release_notebook)

Pure Python, no network, no model: concepts are recognised by the rubric's terms and patterns
(see source/<assignment>/grading/rubrics.toml for the format). Uncertain answers are flagged for
a TA (autograder.review).
"""
from .extract import ExtractedAnswer, extract_answer, prompts_from_notebook
from .rubric import Rubric, RubricError, load_rubric, parse_rubric
from .score import AnswerScore, grade_short_answers, score_answer, score_text

__all__ = [
    "AnswerScore", "ExtractedAnswer", "Rubric", "RubricError", "extract_answer", "grade_short_answers",
    "load_rubric", "parse_rubric", "prompts_from_notebook", "score_answer", "score_text",
]
