"""agentwrap's benchmarks: per-call overhead against the peers, memory, start-up, growth.

Run them with ``make bench`` (which builds ``.venv-bench`` with the peers from
``benchmarks/requirements.txt``) or, for agentwrap and the bare SDK only, from the project's
own venv: ``python -m benchmarks.overhead --quick``.
"""
