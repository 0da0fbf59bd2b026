"""agentwrap's version, in one place.

A leaf module: the package's ``__init__`` re-exports it and the tracer, meter and logger names
use it, without any module of the package importing names from ``agentwrap`` itself.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
