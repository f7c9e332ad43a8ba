"""Short answers: bilingual (English / Chinese) rubric grading of markdown answer cells.

    from autograder.shortanswers import load_rubric, grade_short_answers, Level
    rubric = load_rubric(paths.rubrics_file)
    checks = grade_short_answers(notebook, rubric, release_prompts=release_notebook, level=Level.ASPECTS)

Deterministic and offline: concepts are recognised by the rubric's terms and patterns, one
sentence at a time and never in negated form (negation.py); Chinese is segmented with jieba and
traditional characters are read as simplified ones (zh.py); misspelled technical words are mended
(spelling.py). Uncertain answers are flagged for a TA (autograder.review); similar answers across
a class form answer groups (groups.py); what a student sees is a course setting (visibility.py).
"""
from .extract import ExtractedAnswer, extract_answer, prompts_from_notebook
from .grade import grade_short_answers
from .rubric import load_rubric, parse_rubric
from .rubric_model import Rubric, RubricError
from .score import AnswerScore, score_answer, score_text
from .visibility import FeedbackPolicy, FeedbackPolicyError, Level, feedback_level

__all__ = [
    "AnswerScore", "ExtractedAnswer", "FeedbackPolicy", "FeedbackPolicyError", "Level", "Rubric", "RubricError",
    "extract_answer", "feedback_level", "grade_short_answers", "load_rubric", "parse_rubric", "prompts_from_notebook",
    "score_answer", "score_text",
]
