"""The power items of the pre-flight check: what a power run needs before the first run starts.

With the profile's ``power:`` block, three things must hold before anything runs, each a
``power`` item that is ``ok`` or a shortage with the fix (so no run starts; a power session
that cannot work would only fail after the runs before it):

- the checkout is a power-dev checkout (:func:`mlperf_tui.power.client.power_dev_checkout`);
- the director's power server answers (:func:`mlperf_tui.power.director.probe`: the
  handshake and its clock; a fix per cause: refused, unknown host, timeout, busy, another
  protocol);
- the director's clock agrees with ours within what the official client accepts (400 ms).

The clocks against the NTP server are the client's own check before each run (it can set
this machine's clock, as root): a run it refuses fails with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui.run.preflight.model import STATUS_OK, STATUS_SHORTAGE, PreflightItem

if TYPE_CHECKING:
    from mlperf_tui.power.director import DirectorInfo
    from mlperf_tui.profile import Profile

#: seconds the probe waits for the director
PROBE_TIMEOUT_S = 5.0

Probe = Callable[[str, int, float], "DirectorInfo"]


def _item(what: str, status: str, note: str, fix: str = "") -> PreflightItem:
    return PreflightItem("power", what, None, None, status, fix=fix, note=note)


def power_items(
    profile: Profile, profile_path: Path | None = None, probe: Probe | None = None
) -> list[PreflightItem]:
    """The power items of a profile with a ``power:`` block (none without one)."""
    from mlperf_tui.power import PowerError
    from mlperf_tui.power.client import power_dev_checkout
    from mlperf_tui.power.director import CLOCK_TOLERANCE_MS
    from mlperf_tui.power.director import probe as probe_director
    from mlperf_tui.run.power_run import checkout_path

    power = profile.power
    if power is None:
        return []
    probe = probe or probe_director
    items: list[PreflightItem] = []
    checkout = checkout_path(power, profile_path)
    what = f"power: power-dev checkout {checkout}"
    try:
        root = power_dev_checkout(checkout)
    except PowerError as exc:
        items.append(_item(what, STATUS_SHORTAGE, exc.message, exc.fix))
    else:
        items.append(_item(what, STATUS_OK, f"the official power client is in {root}"))
    where = f"{power.director}:{power.port}"
    try:
        info = probe(power.director, power.port, PROBE_TIMEOUT_S)
    except PowerError as exc:
        items.append(_item(f"power: director {where}", STATUS_SHORTAGE, exc.message, exc.fix))
        return items
    items.append(_item(f"power: director {where}", STATUS_OK, info.describe()))
    clocks = f"power: clocks of this machine and {power.director}"
    offset = f"{info.clock_offset_ms:+.0f} ms (round trip {info.round_trip_ms:.0f} ms)"
    if info.clocks_agree:
        items.append(_item(clocks, STATUS_OK, f"the director's clock is {offset} off ours"))
    else:
        items.append(
            _item(
                clocks,
                STATUS_SHORTAGE,
                f"the director's clock is {offset} off this machine's: the power client "
                f"refuses to measure beyond {CLOCK_TOLERANCE_MS:g} ms",
                f"sync this machine and the director to the NTP server {power.ntp} (power.ntp, "
                "and the server config's ntpServer): ntpdate or their NTP daemon, then run again",
            )
        )
    return items
