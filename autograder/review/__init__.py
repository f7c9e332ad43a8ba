"""TA review, on top of the gradebook: the queue of flagged answers and the commands that
settle them (`autograder review list|set|clear`). The scores themselves are stored and applied
by `autograder.gradebook` (`set_override`, `clear_override`, `apply_overrides`).
"""
from autograder.review.commands import cmd_review_clear, cmd_review_list, cmd_review_set
from autograder.review.queue import QueueEntry, ReviewError, load_results, render_queue, review_queue, settle_command

__all__ = ["QueueEntry", "ReviewError", "cmd_review_clear", "cmd_review_list", "cmd_review_set", "load_results",
           "render_queue", "review_queue", "settle_command"]
