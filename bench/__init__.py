"""`make bench`: each bench_*.py module here prints its own rows."""
