"""Test-wide settings."""
import os
import tempfile

# The rewritten ledger program is cached on disk between runs (pyrules/batch.py);
# the tests keep theirs in a directory of their own, never in the user's cache.
os.environ.setdefault("PYRULES_CACHE_DIR", tempfile.mkdtemp(prefix="pyrules-test-cache-"))
