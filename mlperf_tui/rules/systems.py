"""The fields of the systems JSON (``<division>/<submitter>/systems/<system>.json``).

The list, its order and which fields need a meaningful (non-empty) answer are those of the
official submission checker (mlcommons/inference, tools/submission/submission_checker/
constants.py: ``SYSTEM_DESC_REQUIRED_FIELDS`` and
``SYSTEM_DESC_MEANINGFUL_RESPONSE_REQUIRED_FIELDS``); the allowed values are those that
``checks/system_check.py`` enforces. The list is the same for rounds v5.1, v6.0 and v6.1.

Every field must be present. The checker tests only that a meaningful field is there and not
empty (its truth: a JSON number is fine, the number 0 is not); its results table multiplies
``number_of_nodes`` by ``accelerators_per_node`` as whole numbers. The four count fields are
``kind="int"``: a JSON number (as published submissions write them, ``"number_of_nodes": 1``) or
a string of digits (``"0"`` where the count is nought). The descriptions are ours, written for a
first-time submitter.
"""

from __future__ import annotations

from types import MappingProxyType

from mlperf_tui.errors import RulesError, did_you_mean
from mlperf_tui.rules.model import Category, Division, SystemField

#: ``status``: the checker lower-cases the value before comparing (VALID_AVAILABILITIES)
VALID_STATUSES: tuple[str, ...] = ("available", "preview", "rdi")

#: ``system_type``: the categories the system is submitted in (exact strings the checker accepts)
VALID_SYSTEM_TYPES: tuple[str, ...] = (
    Category.DATACENTER.value,
    Category.EDGE.value,
    f"{Category.DATACENTER.value},{Category.EDGE.value}",
    f"{Category.EDGE.value},{Category.DATACENTER.value}",
)

#: ``division``: must equal the division folder the JSON lies in (the checker compares them)
VALID_DIVISIONS: tuple[str, ...] = tuple(d.value for d in Division)


def _f(
    name: str,
    required: bool,
    description: str,
    allowed: tuple[str, ...] = (),
    kind: str = "str",
) -> SystemField:
    return SystemField(
        name=name, required=required, description=description, allowed=allowed, kind=kind
    )


SYSTEM_FIELDS: tuple[SystemField, ...] = (
    _f(
        "division",
        True,
        "Division of the submission: closed (the reference model, rules fixed) or open.",
        VALID_DIVISIONS,
    ),
    _f("submitter", True, "Your organisation's name, exactly as the submitter folder is named."),
    _f(
        "status",
        True,
        "Availability: available (can be bought or rented now), preview (available within "
        "180 days of publication) or rdi (research, development or internal).",
        VALID_STATUSES,
    ),
    _f(
        "system_name",
        True,
        "The name the results table shows for this machine, e.g. 'Dell R760 (2x Xeon 8480+)'.",
    ),
    _f(
        "number_of_nodes",
        True,
        "How many nodes (separate machines) run the benchmark, a whole number; 1 here.",
        kind="int",
    ),
    _f("host_processor_model_name", True, "The host CPU's marketing name, e.g. 'AMD EPYC 9654'."),
    _f(
        "host_processors_per_node",
        True,
        "CPU sockets populated in one node, a whole number, e.g. 2.",
        kind="int",
    ),
    _f(
        "host_processor_core_count",
        True,
        "Physical cores per CPU socket (not threads), a whole number, e.g. 64.",
        kind="int",
    ),
    _f("host_memory_capacity", True, "Total system memory (RAM) of one node, e.g. '512 GB'."),
    _f("host_storage_capacity", True, "Total storage capacity of one node, e.g. '1.9 TB'."),
    _f("host_storage_type", True, "Kind of storage, e.g. 'NVMe SSD', 'SATA SSD', 'HDD'."),
    _f(
        "accelerators_per_node",
        True,
        'Accelerators (GPUs, NPUs) used in one node, a whole number; "0" (as text: the checker '
        "reads the number 0 as no answer) for CPU only.",
        kind="int",
    ),
    _f(
        "accelerator_model_name",
        True,
        "The accelerator's name, e.g. 'NVIDIA H100-SXM-80GB'; 'N/A' when there is none.",
    ),
    _f(
        "accelerator_memory_capacity",
        True,
        "Memory of one accelerator, e.g. '80 GB'; 'N/A' when there is none.",
    ),
    _f(
        "framework",
        True,
        "The inference software and its version that ran the model, e.g. 'ONNX Runtime 1.20.1'.",
    ),
    _f("operating_system", True, "Operating system and version, e.g. 'Ubuntu 22.04.4 LTS'."),
    _f(
        "system_type",
        True,
        "Category the system is submitted in: datacenter, edge, or both.",
        VALID_SYSTEM_TYPES,
    ),
    _f(
        "other_software_stack",
        True,
        "Other software that matters for the result: Python, kernel, C library, drivers, CUDA.",
    ),
    _f("host_processor_frequency", False, "CPU clock, base or maximum, e.g. '3.5 GHz'."),
    _f("host_processor_caches", False, "CPU caches, e.g. 'L1d 48 KiB, L2 2 MiB, L3 105 MiB'."),
    _f(
        "host_memory_configuration",
        True,
        "How the memory is populated, e.g. '16x 32 GB DDR5-4800'.",
    ),
    _f(
        "host_processor_interconnect",
        False,
        "Link between CPU sockets, e.g. 'UPI'; empty for a single socket.",
    ),
    _f(
        "host_networking",
        True,
        "The node's network, e.g. 'Ethernet 25 Gb/s'; 'N/A' for a single node not using it.",
    ),
    _f(
        "host_networking_topology",
        True,
        "How nodes are connected, e.g. 'Ethernet/Infiniband on switching network'; 'N/A' for one.",
    ),
    _f("accelerator_frequency", False, "Accelerator clock, e.g. '1980 MHz'; empty when none."),
    _f(
        "accelerator_host_interconnect",
        True,
        "Link between the host and the accelerators, e.g. 'PCIe Gen5 x16'; 'N/A' when none.",
    ),
    _f(
        "accelerator_interconnect",
        True,
        "Link between accelerators, e.g. 'NVLink'; 'N/A' with fewer than two.",
    ),
    _f(
        "accelerator_interconnect_topology",
        False,
        "Shape of the accelerator links, e.g. 'NVSwitch all-to-all'; empty when none.",
    ),
    _f(
        "accelerator_memory_configuration",
        True,
        "Kind of accelerator memory, e.g. 'HBM3'; 'N/A' when there is no accelerator.",
    ),
    _f(
        "accelerator_on-chip_memories",
        False,
        "On-chip memories of the accelerator (caches, SRAM); may be empty.",
    ),
    _f(
        "cooling",
        True,
        "How the system is cooled, e.g. 'air' or 'liquid'.",
    ),
    _f("hw_notes", False, "Anything else about the hardware a reader should know; may be empty."),
    _f("sw_notes", False, "Anything else about the software a reader should know; may be empty."),
    _f(
        "host_network_card_count",
        True,
        "Network cards in one node, e.g. '2x 100GbE'; 'N/A' when not used.",
    ),
    _f(
        "system_type_detail",
        False,
        "Form factor in a few words, e.g. 'workstation', 'rack server', 'laptop', 'cloud VM'.",
    ),
)

#: the extra fields of a system with a power result (SYSTEM_DESC_REQUIRED_FIELDS_POWER: the
#: checker wants them present, none needs a meaningful answer); a profile with a power: block
#: may answer them, and the package writes the nameplate-power YAML of v6.1 from the PSUs
POWER_SYSTEM_FIELDS: tuple[SystemField, ...] = (
    _f("power_management", False, "Power management settings, e.g. 'BIOS default', 'disabled'."),
    _f("filesystem", False, "The file system the benchmark's data is on, e.g. 'ext4'."),
    _f("boot_firmware_version", False, "BIOS / UEFI firmware version."),
    _f("management_firmware_version", False, "BMC firmware version, 'N/A' when none."),
    _f("other_hardware", False, "Other hardware drawing power in the system, or 'N/A'."),
    _f("number_of_type_nics_installed", False, "Network cards installed, e.g. '2x 25GbE'."),
    _f("nics_enabled_firmware", False, "Network cards enabled in the firmware."),
    _f("nics_enabled_os", False, "Network cards enabled in the operating system."),
    _f("nics_enabled_connected", False, "Network cards connected during the run."),
    _f("network_speed_mbit", False, "The connected network's speed in Mbit/s, e.g. '10000'."),
    _f(
        "power_supply_quantity_and_rating_watts",
        False,
        "Power supplies and their rating, e.g. '2x 1600W', with the number needed when some are "
        "redundant: '2x 1600W (1+1)'; the nameplate-power YAML is written from it.",
    ),
    _f("power_supply_details", False, "The power supplies' make and model."),
    _f("disk_drives", False, "Disk drives installed, e.g. '1x 1.92TB NVMe'."),
    _f("disk_controllers", False, "Disk controllers, e.g. 'onboard NVMe'."),
    _f(
        "system_power_only",
        False,
        "Whether the analyser measured the system alone ('true'), without switches or storage.",
    ),
)

#: the fields of a system whose SUT LoadGen reaches over the network (the checker's
#: SYSTEM_DESC_REQUIRED_FIELDS_NETWORK_MODE: present, may be empty); the network division's
#: systems JSON has them, the package fills what it can detect and the profile answers the rest
NETWORK_SYSTEM_FIELDS: tuple[SystemField, ...] = (
    _f("is_network", False, "Whether LoadGen reaches the SUT over the network: 'true'."),
    _f(
        "network_type",
        False,
        "The fabric, e.g. 'Ethernet' (Ethernet, Infiniband, IEEE802.11, 3GPP).",
    ),
    _f("network_media", False, "The physical medium, e.g. 'copper (DAC)', 'fiber', 'wireless'."),
    _f("network_rate", False, "The link rate, e.g. '25 Gb/s'."),
    _f("nic_loadgen", False, "The LoadGen node's network card(s), e.g. 'Mellanox ConnectX-6'."),
    _f("number_nic_loadgen", False, "How many network cards the LoadGen node uses, e.g. '1'."),
    _f(
        "net_software_stack_loadgen",
        False,
        "The LoadGen node's network software, e.g. 'aiohttp 3.9 over Linux TCP/IP'.",
    ),
    _f("network_protocol", False, "The protocol up to layer 4, e.g. 'HTTP/1.1 over TCP/IP'."),
    _f("number_connections", False, "TCP connections between LoadGen and the SUT, e.g. '128'."),
    _f("nic_sut", False, "The SUT nodes' network card(s)."),
    _f("number_nic_sut", False, "How many network cards each SUT node uses."),
    _f(
        "net_software_stack_sut",
        False,
        "The SUT nodes' network software, e.g. 'aiohttp 3.9 over Linux TCP/IP'.",
    ),
    _f("network_topology", False, "How the nodes connect, e.g. 'one switch, star topology'."),
)

#: the network fields only the submitter knows (the fabric, its medium, rate and topology); the
#: package detects the others (network cards, software stacks, protocol, connections)
NETWORK_ASKED_FIELDS: tuple[str, ...] = (
    "network_type",
    "network_media",
    "network_rate",
    "network_topology",
)

#: the fields that describe one node of the system (detected on each node of a cluster)
PER_NODE_FIELDS: tuple[str, ...] = (
    "host_processor_model_name",
    "host_processors_per_node",
    "host_processor_core_count",
    "host_processor_frequency",
    "host_processor_caches",
    "host_processor_interconnect",
    "host_memory_capacity",
    "host_memory_configuration",
    "host_storage_type",
    "host_storage_capacity",
    "host_networking",
    "host_network_card_count",
    "accelerators_per_node",
    "accelerator_model_name",
    "accelerator_frequency",
    "accelerator_host_interconnect",
    "accelerator_interconnect",
    "accelerator_interconnect_topology",
    "accelerator_memory_capacity",
    "accelerator_memory_configuration",
    "accelerator_on-chip_memories",
    "operating_system",
)

#: every field name, in the checker's order
SYSTEM_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in SYSTEM_FIELDS)

#: the fields that need a meaningful (non-empty) value
REQUIRED_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in SYSTEM_FIELDS if f.required)

SYSTEM_FIELDS_BY_NAME: MappingProxyType[str, SystemField] = MappingProxyType(
    {f.name: f for f in SYSTEM_FIELDS}
)


def system_field(name: str) -> SystemField:
    """The field called ``name``; RulesError with a did-you-mean for an unknown name."""
    try:
        return SYSTEM_FIELDS_BY_NAME[name]
    except KeyError:
        raise RulesError(
            f'"{name}" is not a field of the systems JSON{did_you_mean(name, SYSTEM_FIELD_NAMES)}',
            "use one of: " + ", ".join(SYSTEM_FIELD_NAMES),
        ) from None


def value_allowed(name: str, value: str) -> bool:
    """Whether ``value`` is accepted for field ``name`` (the checker's comparison rules)."""
    allowed = system_field(name).allowed
    if not allowed:
        return True
    if name in ("status", "division"):  # the checker lower-cases these before comparing
        return value.lower() in allowed
    return value in allowed
