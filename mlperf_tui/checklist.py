"""The submitter's checklist: automatic items from the validator, manual items a person confirms.

The manual items follow the MLPerf Inference self-certification checklist
(mlcommons/inference_policies, submission_checklist.md) and the submission rules: what no tool
can see (the model's licence, calibration documentation, availability date, techniques the rules
forbid, ...). Automatic items are recomputed from :func:`mlperf_tui.validate.validate` each time
the checklist is loaded; only the answers to manual items are stored.

Answers live beside the package, never inside the tree the checker reads:
``<package>/../<package name>.checklist.json``. A second review loads them and resumes where the
first one stopped.

What a person wrote is never lost: an answers file that cannot be read (not UTF-8, not JSON,
cut short, or JSON of another shape) is refused when the checklist loads and again before a
save would replace it, with the fix (repair it, or move it aside to start again); the tool never
renames or deletes it itself. A save is atomic (a temporary file, flushed, then renamed over the
old one), so a full disk or a read-only folder leaves the previous answers as they were and
is a user error: :class:`~mlperf_tui.errors.DiskFull` (exit 5) or
:class:`~mlperf_tui.errors.NotWritable` (exit 3). The Markdown export never leaves half a file.

API for the front ends::

    checklist = load_checklist(package_dir)
    for item in checklist.items: item.id, item.title, item.kind, item.state, item.detail
    checklist.confirm("manual.licence", note="Apache-2.0, see src/README.md")
    checklist.save()
    export_markdown(checklist)   # <package>/../<package name>.checklist.md, for the review
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError, PackageError, write_failed
from mlperf_tui.validate import CheckResult, validate

Kind = Literal["auto", "manual"]
#: auto items: passed | failed; manual items: pending | confirmed | declined
State = Literal["passed", "failed", "pending", "confirmed", "declined"]

SCHEMA_VERSION = 1
CHECKLIST_SUFFIX = ".checklist.json"
MARKDOWN_SUFFIX = ".checklist.md"


@dataclass(frozen=True)
class _AutoSpec:
    id: str
    title: str
    prefixes: tuple[str, ...]


#: automatic items: each passes when the validator finds no error with one of its id prefixes
AUTO_ITEMS: tuple[_AutoSpec, ...] = (
    _AutoSpec("auto.tree", "The package has every folder and file the checker needs", ("tree.",)),
    _AutoSpec("auto.system", "The systems description is complete and consistent", ("system.",)),
    _AutoSpec(
        "auto.measurements",
        "measurements.json states data types, weights and transformations",
        ("measurements.",),
    ),
    _AutoSpec(
        "auto.runs",
        "Every LoadGen run is VALID, error-free, with the round's seeds and settings",
        ("log.",),
    ),
    _AutoSpec(
        "auto.accuracy",
        "Accuracy covers the whole data set, meets the target (closed) and carries its hash",
        ("accuracy.",),
    ),
    _AutoSpec("auto.compliance", "The compliance tests passed (closed division)", ("compliance.",)),
    _AutoSpec(
        "auto.submittable",
        "Built from valid execution with real assets (not a test or synthetic package)",
        ("package.",),
    ),
)


@dataclass(frozen=True)
class _ManualSpec:
    id: str
    title: str
    detail: str


#: manual items, from the self-certification checklist and the submission rules
MANUAL_ITEMS: tuple[_ManualSpec, ...] = (
    _ManualSpec(
        "manual.licence",
        "The model's licence allows publishing these results",
        "Check the licence of the model weights you used (the reference model's, or your own "
        "in open) and that the code in src/ may be published for review.",
    ),
    _ManualSpec(
        "manual.availability",
        "The system's availability matches its status (available / preview / rdi)",
        "available: can be bought or rented now; preview: available within 180 days of "
        "publication; rdi: research, development or internal. Know the date.",
    ),
    _ManualSpec(
        "manual.system-description",
        "Every systems-JSON value is right for this machine",
        "Detection can be wrong (virtual machines, containers): read systems/<system>.json "
        "field by field.",
    ),
    _ManualSpec(
        "manual.calibration",
        "Quantization and calibration are documented (or no quantization was used)",
        "Weights calibrated only with the benchmark's calibration set; the procedure written "
        "down in the submission (closed division).",
    ),
    _ManualSpec(
        "manual.same-code",
        "Accuracy and performance ran the same code, model and settings",
        "No change between the accuracy run, the performance run and the compliance runs.",
    ),
    _ManualSpec(
        "manual.loadgen",
        "LoadGen is an official release, unmodified",
        "mlcommons-loadgen as published for this round, without local changes.",
    ),
    _ManualSpec(
        "manual.preprocessing",
        "Only allowed untimed pre-processing was used",
        "Resize, crop, channel reorder, mean subtraction and normalization, conversion to the "
        "input type: nothing that uses knowledge of the data set's labels.",
    ),
    _ManualSpec(
        "manual.prohibited",
        "None of the prohibited techniques were used",
        "No caching of queries, responses or intermediate results; no weight changes during "
        "the timed run; no knowledge of LoadGen's implementation to predict queries; no "
        "statistical information about the performance or accuracy sets.",
    ),
    _ManualSpec(
        "manual.real-world",
        "The results reflect the system's real-world performance",
        "The system was not tuned only for the benchmark's fixed-length runs.",
    ),
    _ManualSpec(
        "manual.rules",
        "The submission follows all relevant MLPerf rules",
        "inference_rules.adoc and submission_rules.adoc of mlcommons/inference_policies.",
    ),
)


@dataclass
class ChecklistItem:
    """One line of the checklist."""

    id: str
    title: str
    kind: Kind
    state: State
    detail: str = ""
    note: str = ""
    answered_at: str | None = None
    #: who answered (the login name when the answer was given), if known
    answered_by: str | None = None

    @property
    def done(self) -> bool:
        return self.state in ("passed", "confirmed")


@dataclass
class Checklist:
    """The checklist of one package; ``save`` writes the manual answers beside it."""

    package_dir: Path
    path: Path
    items: list[ChecklistItem] = field(default_factory=list)

    def item(self, item_id: str) -> ChecklistItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise PackageError(
            f'no checklist item "{item_id}"',
            "use one of: " + ", ".join(i.id for i in self.items),
        )

    def _answer(
        self, item_id: str, state: State, note: str, by: str | None = None
    ) -> ChecklistItem:
        item = self.item(item_id)
        if item.kind != "manual":
            raise PackageError(
                f'"{item_id}" is checked automatically; it cannot be answered by hand',
                "fix what the validator reports, then load the checklist again",
            )
        item.state = state
        item.note = note
        item.answered_at = datetime.now(UTC).isoformat(timespec="seconds")
        item.answered_by = by if by is not None else _login_name()
        return item

    def confirm(self, item_id: str, note: str = "", by: str | None = None) -> ChecklistItem:
        """Mark a manual item as confirmed by the person reviewing (``by``: default, the
        login name)."""
        return self._answer(item_id, "confirmed", note, by)

    def decline(self, item_id: str, note: str = "", by: str | None = None) -> ChecklistItem:
        """Mark a manual item as not true (the package must not be submitted yet)."""
        return self._answer(item_id, "declined", note, by)

    def reset(self, item_id: str) -> ChecklistItem:
        """Return a manual item to pending."""
        item = self._answer(item_id, "pending", "")
        item.answered_at = item.answered_by = None
        return item

    @property
    def pending(self) -> list[ChecklistItem]:
        return [i for i in self.items if i.state == "pending"]

    @property
    def complete(self) -> bool:
        """Every item passed or confirmed: ready to submit."""
        return all(i.done for i in self.items)

    def progress(self) -> tuple[int, int]:
        """(done, total)."""
        return sum(1 for i in self.items if i.done), len(self.items)

    def save(self) -> Path:
        """Write the manual answers to :attr:`path` (atomically)."""
        answers = {
            i.id: {
                "state": i.state,
                "note": i.note,
                "answered_at": i.answered_at,
                **({"answered_by": i.answered_by} if i.answered_by else {}),
            }
            for i in self.items
            if i.kind == "manual" and i.state != "pending"
        }
        data = {
            "schema_version": SCHEMA_VERSION,
            "package": str(self.package_dir),
            "answers": answers,
        }
        _saved_answers(self.path)  # a file that became unreadable is refused, not replaced
        text = json.dumps(data, indent=2) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        except OSError as exc:
            raise _save_failed(exc, self.path) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            _remove(Path(tmp))
            raise _save_failed(exc, self.path) from None
        except BaseException:
            _remove(Path(tmp))
            raise
        return self.path


def _remove(path: Path) -> None:
    """Remove a temporary file this module made; quietly, as the error that made it useless is
    the one to report (on a read-only disk even removing a missing file fails)."""
    with contextlib.suppress(OSError):
        path.unlink()


def _save_failed(exc: OSError, path: Path) -> MlperfTuiError:
    """A save that could not be written: a full disk (exit 5) or a folder that cannot be
    written (exit 3); the answers file beside the package is as it was."""
    error = write_failed(
        exc,
        f"saving the checklist answers to {path.name}",
        path.parent,
        "move the package (and its answers file) to a folder",
    )
    error.message = f"{error.message} (the answers saved before are kept)"
    error.args = (error.message,)
    return error


def checklist_path(package_dir: Path | str) -> Path:
    """Where the answers of ``package_dir``'s checklist are kept: beside the package."""
    package = Path(package_dir).resolve()
    return package.parent / f"{package.name}{CHECKLIST_SUFFIX}"


def _auto_items(results: Sequence[CheckResult]) -> list[ChecklistItem]:
    items = []
    for spec in AUTO_ITEMS:
        mine = [r for r in results if r.id.startswith(spec.prefixes) and r.severity == "error"]
        detail = "\n".join(f"{r.id}: {r.message} ({r.path})" for r in mine[:20])
        if len(mine) > 20:
            detail += f"\n... and {len(mine) - 20} more"
        items.append(
            ChecklistItem(
                id=spec.id,
                title=spec.title,
                kind="auto",
                state="failed" if mine else "passed",
                detail=detail,
            )
        )
    return items


def _unreadable(path: Path, why: str) -> PackageError:
    return PackageError(
        f"the checklist answers in {path} cannot be read: {why}",
        f"repair {path.name}, or move it aside (rename it) to start the answers again; "
        "mlperf-tui never replaces it",
    )


def _saved_answers(path: Path) -> dict[str, Any]:
    """The ``answers`` object of the answers file ({} when there is none); PackageError with
    the fix when the file is there but is not an answers file mlperf-tui wrote."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no answers yet
        return {}
    except UnicodeDecodeError as exc:
        raise _unreadable(path, f"byte {exc.start + 1} is not UTF-8 text") from None
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = "it ends too early" if exc.pos >= len(text.rstrip()) else exc.msg
        raise _unreadable(
            path, f"not JSON (line {exc.lineno}, column {exc.colno}: {where})"
        ) from None
    except RecursionError:
        raise _unreadable(path, "it nests too deeply") from None
    except ValueError as exc:  # a number of thousands of digits
        raise _unreadable(path, str(exc)) from None
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, dict):
        shape = "a JSON list" if isinstance(data, list) else "JSON without an answers object"
        raise _unreadable(path, f"it holds {shape}, not the answers mlperf-tui saves")
    return answers


def _text(value: Any) -> str | None:
    """A saved note, time or name: text, or None (any other JSON value is not one)."""
    return value if isinstance(value, str) and value else None


def load_checklist(
    package_dir: Path | str,
    *,
    version: str = rules.DEFAULT_ROUND,
    results: Iterable[CheckResult] | None = None,
    validator: Callable[[Path], list[CheckResult]] | None = None,
) -> Checklist:
    """The checklist of the package: automatic items (validated now) and saved manual answers.

    ``results`` reuses a validation the caller already has.
    """
    package = Path(package_dir)
    if results is None:
        results = validator(package) if validator else validate(package, version=version)
    path = checklist_path(package)
    saved = _saved_answers(path)
    items = _auto_items(list(results))
    for spec in MANUAL_ITEMS:
        raw = saved.get(spec.id)
        answer: dict[str, Any] = raw if isinstance(raw, dict) else {}
        state = answer.get("state")
        items.append(
            ChecklistItem(
                id=spec.id,
                title=spec.title,
                kind="manual",
                state=state if state in ("confirmed", "declined") else "pending",
                detail=spec.detail,
                note=_text(answer.get("note")) or "",
                answered_at=_text(answer.get("answered_at")),
                answered_by=_text(answer.get("answered_by")),
            )
        )
    return Checklist(package_dir=package, path=path, items=items)


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment, no passwd entry
        return None


# -- the Markdown export, for the submission's review ------------------------------------------


def markdown_path(package_dir: Path | str) -> Path:
    """Where the Markdown export goes by default: beside the package, like the answers."""
    package = Path(package_dir).resolve()
    return package.parent / f"{package.name}{MARKDOWN_SUFFIX}"


def _cell(text: str | None) -> str:
    """One Markdown table cell: no pipe ends the cell, no tag vanishes, lines become <br>."""
    text = (text or "").strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", "<br>")


def _table(header: Sequence[str], rows: Iterable[Sequence[str | None]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(checklist: Checklist, *, exported_at: str | None = None) -> str:
    """The checklist as Markdown: the automatic checks with what the validator found, the
    manual items with each answer, its note, who gave it and when."""
    done, total = checklist.progress()
    counts = {s: sum(1 for i in checklist.items if i.state == s) for s in ("failed", "declined")}
    counts["pending"] = len(checklist.pending)
    open_items = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    verdict = "ready to submit" if checklist.complete else f"not ready to submit ({open_items})"
    when = exported_at or datetime.now(UTC).isoformat(timespec="seconds")
    auto = [i for i in checklist.items if i.kind == "auto"]
    manual = [i for i in checklist.items if i.kind == "manual"]
    lines = [
        f"# Submission checklist: {checklist.package_dir.name}",
        "",
        f"- Package: `{checklist.package_dir.resolve()}`",
        f"- Exported: {when}",
        f"- Progress: {done} of {total} done, {verdict}",
        f"- Answers kept in: `{checklist.path}`",
        "",
        "## Automatic checks",
        "",
        "From the validator (`mlperf-tui check`), run when the checklist was loaded.",
        "",
        *_table(("State", "Check", "Errors found"), ((i.state, i.title, i.detail) for i in auto)),
        "",
        "## Manual confirmations",
        "",
        "What no tool can see; each answered by the person reviewing.",
        "",
        *_table(
            ("State", "Item", "Note", "Answered by", "Answered at"),
            ((i.state, i.title, i.note, i.answered_by, i.answered_at) for i in manual),
        ),
        "",
    ]
    return "\n".join(lines)


#: how to export the checklist elsewhere (the fix of a default export that failed)
_EXPORT_ELSEWHERE = "export it with --markdown FILE to a folder"


def _export_failed(exc: OSError, target: Path, choose: str) -> MlperfTuiError:
    return write_failed(exc, f"exporting the checklist to {target.name}", target.parent, choose)


def export_markdown(
    checklist: Checklist,
    path: Path | str | None = None,
    *,
    overwrite: bool = False,
    exported_at: str | None = None,
) -> Path:
    """Write :func:`render_markdown` to ``path``; returns where it went.

    Without ``path``: beside the package (:func:`markdown_path`), and when that file exists,
    under the next free name (``<package>.checklist-2.md``, ``-3``, ...). An existing
    ``path`` is replaced only with ``overwrite``. Never writes inside the package (the
    checker reads that tree).
    """
    text = render_markdown(checklist, exported_at=exported_at)
    if path is not None:
        target = Path(path)
        if target.exists() and not overwrite:
            raise PackageError(
                f"{target} exists; the checklist export does not replace it",
                "give another file name, or replace it with --force",
            )
        if target.resolve().is_relative_to(checklist.package_dir.resolve()):
            raise PackageError(
                f"{target} is inside the package, where the official checker reads every file",
                f"write it beside the package, e.g. {markdown_path(checklist.package_dir)}",
            )
        # atomic: a --force export that fails leaves the earlier one as it was
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            _remove(tmp)
            raise _export_failed(exc, target, "give a file in a folder") from None
        return target
    first = markdown_path(checklist.package_dir)
    for n in range(1, 1000):
        target = first if n == 1 else first.with_name(f"{first.name.removesuffix('.md')}-{n}.md")
        try:
            fh = target.open("x", encoding="utf-8")
        except FileExistsError:
            continue
        except OSError as exc:
            raise _export_failed(exc, target, _EXPORT_ELSEWHERE) from None
        try:
            with fh:
                fh.write(text)
        except OSError as exc:
            _remove(target)  # the file this call created: no half an export
            raise _export_failed(exc, target, _EXPORT_ELSEWHERE) from None
        return target
    raise PackageError(
        f"{first} and 998 numbered exports beside it exist",
        "delete old exports, or give a file name",
    )
