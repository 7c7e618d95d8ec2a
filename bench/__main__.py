"""`python -m bench [--events N] [--check]`: see bench/run.py and bench/README.md."""

import sys

from bench.run import main

sys.exit(main())
