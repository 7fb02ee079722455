"""Test-wide settings."""

import atexit
import os
import shutil
import tempfile

# The rewritten ledger program is cached on disk between runs (pyrules/batch.py);
# the tests keep theirs in a directory of their own, never in the user's cache.
if "PYRULES_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="pyrules-test-cache-")
    os.environ["PYRULES_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)


def pytest_configure(config):
    # A test names the provisions it checks (kb/provisions.lp ids) with this marker;
    # tests/test_provision_tests.py asserts that every provision of the KB is named by
    # some test (tests/README.md).
    config.addinivalue_line(
        "markers", "provision(*ids): the KB provision ids (kb/provisions.lp) this test checks at its boundary"
    )
