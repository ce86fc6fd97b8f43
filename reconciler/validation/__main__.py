"""``python -m reconciler.validation``: ``reconciler validate`` without the simulator."""

import sys

from reconciler.validation.command import main

sys.exit(main())
