"""The failed-login counter on its own, on a clock that stands still until moved."""

from __future__ import annotations

import pytest

from tests.clocks import FixedClock
from twoco.core.settings import Settings
from twoco.core.throttle import LoginThrottle, ThrottleLimits
from twoco.server.process import ServeOptions


def test_a_pair_is_free_again_when_its_oldest_failure_leaves_the_window() -> None:
    clock = FixedClock(1_000_000.0)
    throttle = LoginThrottle(clock, ThrottleLimits(per_merchant=3, per_address=10))
    for _ in range(3):
        assert throttle.retry_after("ACME", "192.0.2.1") is None
        throttle.failed("ACME", "192.0.2.1")
        clock.advance(5)
    assert throttle.retry_after("ACME", "192.0.2.1") == (45, "this merchant code from this address")
    assert throttle.retry_after("ACME", "192.0.2.2") is None and throttle.retry_after("OTHER", "192.0.2.1") is None
    clock.advance(44.5)
    assert throttle.retry_after("ACME", "192.0.2.1") == (1, "this merchant code from this address")
    clock.advance(0.5)
    assert throttle.retry_after("ACME", "192.0.2.1") is None


def test_moving_the_clock_back_forgets_failures_from_its_future() -> None:
    clock = FixedClock(1_000_000.0)
    throttle = LoginThrottle(clock, ThrottleLimits(per_merchant=1, per_address=1))
    clock.advance(3600)
    throttle.failed("ACME", "192.0.2.1")
    assert throttle.retry_after("ACME", "192.0.2.1") is not None
    clock.reset()
    assert throttle.retry_after("ACME", "192.0.2.1") is None


def test_checks_remember_nothing_and_off_counts_nothing() -> None:
    throttle = LoginThrottle(FixedClock(0.0))
    for number in range(1000):
        assert throttle.retry_after(f"CODE{number}", "192.0.2.1") is None
    assert not throttle._failures
    off = LoginThrottle(FixedClock(0.0), ThrottleLimits.parse("off"))
    for _ in range(100):
        off.failed("ACME", "192.0.2.1")
    assert off.retry_after("ACME", "192.0.2.1") is None


@pytest.mark.parametrize("text", ["10", "0/20", "10/-1", "a/b", "", "10/20/30"])
def test_limits_are_two_positive_numbers_or_off(text) -> None:
    with pytest.raises(ValueError):
        ThrottleLimits.parse(text)


@pytest.mark.parametrize("limits", [ThrottleLimits(3, 5), None], ids=["3/5", "off"])
def test_settings_hold_parsed_limits_which_reach_worker_processes(limits) -> None:
    """The setting is parsed once, by the command line; worker processes get it back through JSON."""
    assert Settings().login_throttle == ThrottleLimits.parse("10/20")
    options = ServeOptions(db="sqlite:///twoco.sqlite3", settings=Settings(login_throttle=limits))
    assert ServeOptions.from_json(options.to_json()) == options
    # Given as the command line spells it, the setting is read as the command line reads it.
    assert Settings(login_throttle="off").login_throttle is None
    assert Settings(login_throttle="3/5").login_throttle == ThrottleLimits(3, 5)
