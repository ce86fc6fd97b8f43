"""Virtual time renders like the API server's timestamps and Go's durations."""

import pytest

from reconciler.api import clock


@pytest.mark.parametrize("seconds,text", [
    (0, "0s"), (0.5, "500ms"), (0.0015, "1.5ms"), (0.000002, "2µs"), (1.5, "1.5s"),
    (1.611, "1.611s"), (61, "1m1s"), (3600.25, "1h0m0.25s"), (300, "5m0s"),
], ids=lambda v: str(v))
def test_durations_print_like_go(seconds: float, text: str) -> None:
    assert clock.go_duration(seconds) == text


def test_timestamps_are_second_precision_utc_and_parse_back() -> None:
    assert clock.rfc3339(61.9) == "2025-01-01T00:01:01Z"
    assert clock.parse(clock.rfc3339(3600)) == 3600
