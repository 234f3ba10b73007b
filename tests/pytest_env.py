"""Test-run environment, loaded as a plugin (`-p tests.pytest_env`) before pytest-django sets Django up."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
