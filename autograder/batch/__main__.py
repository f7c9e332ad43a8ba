"""`python -m autograder.batch SUBMISSIONS ...`: grade-all without the main CLI."""
import sys

from autograder.batch.cli import main

sys.exit(main())
