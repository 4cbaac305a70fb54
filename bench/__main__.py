"""``make bench``: the benchmark suite is the performance issue's work and is not written yet."""

import sys

print("No benchmarks yet: the performance issue adds them.", file=sys.stderr)
