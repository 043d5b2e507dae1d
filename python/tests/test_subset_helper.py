"""The fixture matcher itself must be able to fail."""

import pytest

from conftest import assert_subset


@pytest.mark.parametrize(
    "actual, expected",
    [
        ({"a": 1}, {"b": 1}),
        ([1, 2], [1]),
        (1.0, 1.1),
        (True, 1),
        (1, True),
        ("a", "b"),
        (None, 0),
        ({"a": {"b": [1, 2]}}, {"a": {"b": [1, 3]}}),
    ],
)
def test_mismatch_is_detected(actual, expected):
    with pytest.raises(AssertionError):
        assert_subset(actual, expected)


def test_match_within_tolerance():
    assert_subset({"a": [1.0 + 1e-12, "x", None], "extra": 1}, {"a": [1, "x", None]})
