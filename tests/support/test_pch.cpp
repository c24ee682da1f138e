// The object that owns the tests' precompiled header (tests/support/test_pch.hpp); the test
// executables reuse it.
