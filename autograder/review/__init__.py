"""TA review, on top of the gradebook: the queue of flagged answers, answer groups, and the
commands that settle them (`autograder review list|set|clear|settle-group|clear-group`). The
scores themselves are stored and applied by `autograder.gradebook` (`set_override`,
`clear_override`, `apply_overrides`; `group_overrides` for groups).
"""
from autograder.review.commands import (cmd_review_clear, cmd_review_clear_group, cmd_review_list, cmd_review_set,
                                        cmd_review_settle_group)
from autograder.review.groups import ClassReview, GroupEntry, class_review
from autograder.review.queue import QueueEntry, ReviewError, load_results, render_queue, review_queue, settle_command
from autograder.review.settle import reconcile

__all__ = ["ClassReview", "GroupEntry", "QueueEntry", "ReviewError", "class_review", "cmd_review_clear",
           "cmd_review_clear_group", "cmd_review_list", "cmd_review_set", "cmd_review_settle_group", "load_results",
           "reconcile", "render_queue", "review_queue", "settle_command"]
