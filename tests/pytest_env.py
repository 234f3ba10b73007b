"""Test-run environment, loaded as a plugin (`-p tests.pytest_env`) before pytest-django sets Django up."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# An empty STATIC_ROOT that exists before anything starts: WhiteNoise, in the live server the browser tests
# share for the whole session, watches it (tests run without collectstatic; see plain_static_files).
os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="careleavers-tests-static-"))
