"""`python -m autograder.similarity SUBMISSIONS --out DIR`: the staff similarity report."""
import sys

from autograder.similarity.cli import main

sys.exit(main())
