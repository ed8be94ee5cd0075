"""The profile's power: block: its schema, its checks against the rest of the profile, and its
YAML round trip."""

from __future__ import annotations

from typing import Any

import pytest

from mlperf_tui.errors import ProfileError
from mlperf_tui.profile import default_profile, dump_profile, parse_profile, profile_to_dict

POWER = {"director": "192.168.1.20", "checkout": "/opt/power-dev", "ntp": "ntp.example.com"}


def _with_power(power: Any, **changes: Any) -> str:
    data = profile_to_dict(default_profile())
    data["power"] = power
    data.update(changes)
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def test_a_power_block_round_trips_with_its_defaults_and_a_comment() -> None:
    profile = parse_profile(_with_power({**POWER, "channel": "1,2"}))
    assert profile.power is not None
    assert (profile.power.port, profile.power.max_amps, profile.power.max_volts) == (4950, 0, 0)
    text = dump_profile(profile)
    assert "# power measurement" in text
    assert parse_profile(text) == profile
    # a profile without one dumps without one
    assert "power:" not in dump_profile(default_profile())


@pytest.mark.parametrize(
    ("power", "changes", "named"),
    [
        ({**POWER, "director": "  "}, {}, "director"),
        ({**POWER, "port": 70000}, {}, "port"),
        ({**POWER, "max_amps": -1}, {}, "max_amps"),
        ({**POWER, "channel": "one"}, {}, "channel"),
        ({k: v for k, v in POWER.items() if k != "ntp"}, {}, "ntp"),
        (POWER, {"modes": ["accuracy"]}, "performance"),
    ],
)
def test_a_bad_power_block_is_refused_naming_the_field(
    power: dict[str, Any], changes: dict[str, Any], named: str
) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(_with_power(power, **changes))
    assert named in f"{info.value.message} {info.value.fix}"
