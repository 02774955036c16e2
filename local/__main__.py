"""``python -m local``: see local/runtime.py and docs/local-runtime.md."""

import os
import sys

from local.runtime import main

code = main()
# Everything is stopped by now; tearing down the interpreter would only spend seconds
# collecting moto's in-memory AWS (measured: about 9 s after a test session).
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
