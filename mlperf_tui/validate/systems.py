"""The systems JSON: <division>/<submitter>/systems/<system>.json.

Mirrors the official checker's checks/system_check.py (missing_check, required_fields_check,
availability_check, system_type_check, division_check, submitter_check, network_check) and the
fields results.py computes with (number_of_nodes x accelerators_per_node), with the field list
and allowed values of mlperf_tui.rules; stricter on JSON types the checkers cannot use.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlperf_tui.rules.checker import INT_COMPUTED_FIELDS, NETWORK_FIELDS, TEXT_ONLY_FIELDS
from mlperf_tui.rules.model import Division, Round, SystemField
from mlperf_tui.validate.context import _load_json
from mlperf_tui.validate.findings import _Findings

#: a count: ASCII digits alone (int() reads other scripts' digits too, the results table not)
_COUNT_RE = re.compile(r"\s*[0-9]+\s*")
_DIGITS_RE = re.compile(r"[0-9]+")


def _read_system(
    f: _Findings, system_json: Path, *, division: str, submitter: str, round_rules: Round
) -> dict[str, Any]:
    system = system_json.stem
    if not system_json.is_file():
        f.error(
            "tree.missing-file",
            system_json,
            f"results/{system} has no systems/{system}.json",
            "rebuild the package; it writes the system description",
        )
        return {}
    try:
        data = _load_json(system_json)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        f.error(
            "system.unreadable",
            system_json,
            f"the systems JSON cannot be read ({exc})",
            "rebuild the package",
        )
        return {}
    if data:
        _check_system(
            f, system_json, data, division=division, submitter=submitter, round_rules=round_rules
        )
    return data


def _check_system(
    f: _Findings,
    path: Path,
    data: Mapping[str, Any],
    *,
    division: str,
    submitter: str,
    round_rules: Round,
) -> None:
    from mlperf_tui.rules.systems import value_allowed
    from mlperf_tui.system import is_generic_cpu_name

    for field in round_rules.system_fields:
        if field.name not in data:
            f.error(
                "system.missing-field",
                path,
                f"field {field.name} is missing ({field.description})",
                f'add "{field.name}": "..." (every one of the {len(round_rules.system_fields)} '
                "fields must be present, empty where allowed)",
            )
            continue
        value = data[field.name]
        if field.kind == "int" and not _check_count_field(f, path, field, value):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if field.kind == "int":
                continue
            if value == 0 and field.required:
                f.error(
                    "system.wrong-type",
                    path,
                    f"field {field.name} is the number 0, which the official checker reads as "
                    "no answer",
                    f'write it as text: "{field.name}": "0"',
                )
            elif field.allowed or field.name in TEXT_ONLY_FIELDS:
                f.error(
                    "system.wrong-type",
                    path,
                    f"field {field.name} is {json.dumps(value)}, not a string: the checkers "
                    "compare or join it as text",
                    f'write it as a string, e.g. "{field.name}": "{value}"',
                )
            else:
                f.warning(
                    "system.wrong-type",
                    path,
                    f"field {field.name} is the number {json.dumps(value)} where the results "
                    "table shows text (the official checker accepts it)",
                    f'write it as text with its unit, e.g. "{field.name}": "{value} ..." '
                    f"({field.description})",
                )
            continue
        if not isinstance(value, str):
            f.error(
                "system.wrong-type",
                path,
                f"field {field.name} is {json.dumps(value)}, not a string",
                f'write it as a string, e.g. "{field.name}": "..."',
            )
            continue
        if field.required and not value.strip():
            f.error(
                "system.empty-field",
                path,
                f"field {field.name} needs a meaningful answer: {field.description}",
                f"answer it in the profile (system: {{{field.name}: ...}}) and rebuild",
            )
            continue
        if field.allowed and value.strip() and not value_allowed(field.name, value):
            f.error(
                "system.invalid-value",
                path,
                f'field {field.name} is "{value}"; allowed: ' + ", ".join(field.allowed),
                f"use one of: {', '.join(field.allowed)}",
            )
        if field.name == "host_processor_model_name" and is_generic_cpu_name(value):
            f.warning(
                "system.generic-cpu-name",
                path,
                f'host_processor_model_name "{value}" names a brand, not a processor model (a '
                "virtual machine often hides the model)",
                "write the exact model as the vendor sells it, e.g. 'Intel(R) Xeon(R) Platinum "
                "8480+' or 'AMD EPYC 9654' (the cloud provider's instance page names it)",
            )
    div = data.get("division")
    if isinstance(div, str) and div.strip() and div.lower() != division.lower():
        f.error(
            "system.division-mismatch",
            path,
            f'the systems JSON says division "{div}", but it lies in {division}/',
            f'set "division": "{division}", or move the submission to {div.lower()}/',
        )
    sub = data.get("submitter")
    if isinstance(sub, str) and sub.strip() and sub.lower() != submitter.lower():
        f.error(
            "system.submitter-mismatch",
            path,
            f'the systems JSON says submitter "{sub}", but the folder is {submitter}/',
            f'set "submitter": "{submitter}" (or rename the folder)',
        )
    if data.get("is_network"):
        # the checker tests the value's truth, so "false" asks for the network fields too
        missing = [name for name in NETWORK_FIELDS if name not in data]
        if missing:
            said = data.get("is_network")
            f.error(
                "system.missing-field",
                path,
                f"is_network is {json.dumps(said)}, so the checker needs the network fields; "
                "missing: " + ", ".join(missing),
                'remove "is_network" unless the system runs over the network (the checker '
                'reads any value, "false" too, as on); otherwise add the fields',
            )
    is_network = _is_network(data)
    if division == Division.CLOSED.value and is_network:
        f.error(
            "system.network-mode",
            path,
            "is_network is true, which the closed division does not allow",
            'remove "is_network" or set it to "false"',
        )
    elif division == Division.NETWORK.value and not is_network:
        f.error(
            "system.network-mode",
            path,
            'the network division needs "is_network": "true" and the network fields',
            'set "is_network": "true" and describe the network, or submit in closed',
        )


def _check_count_field(f: _Findings, path: Path, field: SystemField, value: Any) -> bool:
    """A count field (kind "int"): a JSON integer or a string of digits. False: stop here."""
    name = field.name
    converted = name in INT_COMPUTED_FIELDS
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        f.error(
            "system.wrong-type",
            path,
            f"field {name} is {json.dumps(value)}: it must be a count, e.g. 1",
            f'write it as a number or a string of digits: "{name}": 1',
        )
        return False
    if isinstance(value, (int, float)):
        if value == 0 and field.required:
            f.error(
                "system.wrong-type",
                path,
                f"field {name} is the number 0, which the official checker reads as no answer "
                "(it tests the value's truth)",
                f'write the string "0": "{name}": "0"',
            )
            return False
        # an int of 400 digits is no float: compare it as what it is
        whole = isinstance(value, int) or (math.isfinite(value) and value == int(value))
        if not whole or value < 0:
            f.error(
                "system.not-a-number",
                path,
                f"field {name} is {value}: {field.description}",
                f'write a whole number, e.g. "{name}": 1',
            )
            return False
        return True
    if not isinstance(value, str):
        f.error(
            "system.wrong-type",
            path,
            f"field {name} is {json.dumps(value)}, not a count",
            f'write it as a number: "{name}": 1',
        )
        return False
    if not value.strip() or _COUNT_RE.fullmatch(value):
        return True  # an empty value is the meaningful-answer check's to report
    if converted:
        # results.py multiplies number_of_nodes by accelerators_per_node with int(), and
        # generate_final_report.py int()s host_processors_per_node: anything else stops them
        f.error(
            "system.not-a-number",
            path,
            f'field {name} is "{value}", not a count; the official results tools compute with '
            "it as a whole number and stop",
            f'write a whole number, e.g. "{name}": "1" (put details in hw_notes)',
        )
    elif digits := _DIGITS_RE.search(value):
        f.warning(
            "system.not-a-number",
            path,
            f'field {name} is "{value}", not a plain count (the results table sorts by it)',
            f'write the number alone, e.g. "{name}": "{digits.group()}", '
            "and the details in hw_notes",
        )
    else:
        f.error(
            "system.not-a-number",
            path,
            f'field {name} is "{value}", not a count: {field.description}',
            f'write a whole number, e.g. "{name}": "1"',
        )
    return True


def _is_network(data: Mapping[str, Any]) -> bool:
    network = data.get("is_network")
    return network is True or (isinstance(network, str) and network.lower() == "true")


def _nameplate_watts(data: Any) -> float:
    """The design power of a nameplate YAML, as the checker sums it (system_check.py
    _sum_power_capacity_watts): each component's Min PSUs Needed largest PSUs."""
    from mlperf_tui.rules import power as pw

    if isinstance(data, dict):
        keys = {str(k).lower(): k for k in data}
        psus_key, min_key = pw.NAMEPLATE_PSUS.lower(), pw.NAMEPLATE_MIN_PSUS.lower()
        if psus_key in keys and min_key in keys:
            psus = data[keys[psus_key]]
            needed = data[keys[min_key]]
            if not isinstance(psus, list) or not isinstance(needed, int):
                return 0.0
            watts = sorted(
                (
                    float(p.get(pw.NAMEPLATE_CAPACITY, 0) or 0)
                    for p in psus
                    if isinstance(p, dict)
                    and isinstance(p.get(pw.NAMEPLATE_CAPACITY, 0), int | float)
                ),
                reverse=True,
            )
            return sum(watts[:needed])
        return sum(_nameplate_watts(v) for v in data.values() if isinstance(v, dict | list))
    if isinstance(data, list):
        return sum(_nameplate_watts(item) for item in data)
    return 0.0


def _check_nameplate(f: _Findings, submitter_dir: Path, system: str, version: str) -> None:
    """A system with a power result has its nameplate-power YAML (v6.1: systems/<system>
    _power.yaml), readable, with a design power above 0 (system_check.py)."""
    import yaml

    from mlperf_tui.rules import power as pw

    template = pw.NAMEPLATE_POWER_PATHS.get(version)
    if template is None:
        return
    path = submitter_dir / template.format(system=system)
    fix = (
        f"answer system.{pw.POWER_SUPPLY_FIELD} in the profile (e.g. '2x 1600W', or "
        "'2x 1600W (1+1)' when one is redundant) and rebuild the package, which writes it"
    )
    if not path.is_file():
        f.error(
            "system.nameplate-power",
            path,
            f"{system} has a power result but no nameplate-power YAML (stricter than the "
            "official checker, which only warns and leaves the design power out of the "
            "results)",
            fix,
        )
        return
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        f.error(
            "system.nameplate-power",
            path,
            f"the nameplate-power YAML cannot be read ({type(exc).__name__}): the official "
            "checker fails the system",
            fix,
        )
        return
    if _nameplate_watts(data) <= 0:
        f.error(
            "system.nameplate-power",
            path,
            f"the nameplate-power YAML gives no design power (no component with "
            f"{pw.NAMEPLATE_PSUS!r}, {pw.NAMEPLATE_MIN_PSUS!r} and {pw.NAMEPLATE_CAPACITY!r})",
            fix,
        )
