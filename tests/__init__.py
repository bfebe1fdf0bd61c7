"""The test suite (a package, so that tests/storage does not shadow the storage package)."""
