"""``python -m local``: see local/runtime.py and docs/local-runtime.md."""

import sys

from local.runtime import main

sys.exit(main())
