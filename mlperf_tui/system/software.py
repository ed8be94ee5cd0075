"""The software stack: operating system, kernel, C library, Python and package versions."""

from __future__ import annotations

from functools import partial

from mlperf_tui.system.probe import Facts


def software(f: Facts) -> dict[str, str | None]:
    plat = f.platform()
    release_text = f.text("/etc/os-release") or f.text("/usr/lib/os-release") or ""
    release = {
        k: v.strip().strip('"')
        for k, v in (line.split("=", 1) for line in release_text.splitlines() if "=" in line)
    }
    os_name = release.get("PRETTY_NAME") or " ".join(
        p for p in (release.get("NAME"), release.get("VERSION")) if p
    )
    if not os_name and plat.get("system"):
        os_name = f"{plat['system']} {plat.get('release', '')}".strip()
    glibc = plat.get("libc_version") if plat.get("libc") == "glibc" else None

    def version(*dists: str) -> str | None:
        for dist in dists:
            found = f.get(f"pkg:{dist}", partial(f.probe.package_version, dist))
            if found:
                return found
        return None

    return {
        "os": os_name or None,
        "kernel": plat.get("release") if plat.get("system") == "Linux" else None,
        "system": plat.get("system"),
        "system_release": plat.get("release"),
        "glibc": glibc or None,
        "python": plat.get("python") or None,
        "onnxruntime": version(
            "onnxruntime", "onnxruntime-gpu", "onnxruntime-openvino", "onnxruntime-directml"
        ),
        "loadgen": version("mlcommons-loadgen", "mlcommons_loadgen"),
        "numpy": version("numpy"),
    }
