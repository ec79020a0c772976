"""The Home Assistant benchmark's output: the Markdown tables, the targets block, the profile."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.emulator import EmulatorConfig

from .topologies import LARGEST, STANDALONE_24, device_speed_config

type Row = dict[str, Any]

#: Every row has these fields (None when a step could not run, e.g. setup failed).
FIELDS = (
    "topology",
    "device_speed",
    "entities",
    "setup_s",
    "setup_first_try",
    "setup_http_requests",
    "setup_subrequests",
    "restart_s",
    "restart_http_requests",
    "restart_subrequests",
    "restart_discovery_calls",
    "restart_full_rediscovery",
    "http_requests_per_poll",
    "subrequests_per_poll",
    "poll_wall_ms",
    "poll_interval_s",
    "device_busy_fraction",
    "ha_cpu_ms_per_poll",
    "ha_cpu_ms_integration",
    "ha_cpu_ms_state_writes",
    "integration_cpu_share",
    "state_writes_unchanged_poll",
    "state_writes_changed_poll",
    "switch_http_requests",
    "switch_to_state_ms",
    "switch_state_before_return",
    "push_to_state_ms",
    "push_poll_requests",
    "long_polls",
    "peak_rss_mb",
    "naive_poll_wall_ms",
    "naive_ratio",
    "naive_all_wall_ms",
    "naive_all_ratio",
)


def complete(row: Row) -> Row:
    """The row with every field of ``FIELDS`` present (None for what was not measured)."""
    return {**dict.fromkeys(FIELDS), **row}


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and digits <= 1:
            return f"{value:.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def _setup(row: Row) -> str:
    if row.get("setup_s") is None:
        return "failed"
    text = _fmt(row["setup_s"], 2)
    return text if row.get("setup_first_try") else f"{text} (retry)"


def _restart(row: Row) -> str:
    if row.get("restart_s") is None:
        return "-"
    kind = "full rediscovery" if row.get("restart_full_rediscovery") else "stored topology"
    return f"{_fmt(row['restart_s'], 2)} ({kind})"


def _cpu(row: Row) -> str:
    if row.get("ha_cpu_ms_per_poll") is None:
        return "-"
    return (
        f"{_fmt(row['ha_cpu_ms_per_poll'])} "
        f"({_fmt(row.get('ha_cpu_ms_integration'))} / {_fmt(row.get('ha_cpu_ms_state_writes'))})"
    )


def _naive(row: Row) -> str:
    naive = row.get("naive_poll")
    if not naive:
        return "-"
    mark = "*" if naive.get("extrapolated") else ""
    return f"{_fmt(row['naive_poll_wall_ms'], 0)}{mark}"


def _ratio(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}x"


COLUMNS: tuple[tuple[str, Callable[[Row], str]], ...] = (
    ("topology", lambda r: str(r["topology"])),
    ("device", lambda r: str(r["device_speed"])),
    ("entities", lambda r: _fmt(r.get("entities"))),
    ("setup s", _setup),
    (
        "setup HTTP / sub",
        lambda r: f"{_fmt(r.get('setup_http_requests'))} / {_fmt(r.get('setup_subrequests'))}",
    ),
    ("restart s", _restart),
    ("HTTP / poll", lambda r: _fmt(r.get("http_requests_per_poll"))),
    ("sub / poll", lambda r: _fmt(r.get("subrequests_per_poll"))),
    ("poll wall ms", lambda r: _fmt(r.get("poll_wall_ms"))),
    ("interval s", lambda r: _fmt(r.get("poll_interval_s"))),
    ("device busy", lambda r: _fmt(r.get("device_busy_fraction"), 3)),
    ("HA CPU ms / poll (integration / state writes)", _cpu),
    ("writes unchanged", lambda r: _fmt(r.get("state_writes_unchanged_poll"))),
    ("writes changed", lambda r: _fmt(r.get("state_writes_changed_poll"))),
    ("switch HTTP", lambda r: _fmt(r.get("switch_http_requests"))),
    ("switch ms", lambda r: _fmt(r.get("switch_to_state_ms"))),
    ("push ms", lambda r: _fmt(r.get("push_to_state_ms"))),
    ("long polls (row)", lambda r: _fmt(r.get("long_polls"))),
    ("peak RSS MB", lambda r: _fmt(r.get("peak_rss_mb"))),
    ("naive poll ms", _naive),
    ("naive / ours", lambda r: _ratio(r.get("naive_ratio"))),
)


def markdown_table(rows: Iterable[Row]) -> str:
    """The main table, one line per row."""
    lines = [
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "|".join(" --- " for _ in COLUMNS) + "|",
    ]
    lines.extend("| " + " | ".join(cell(row) for _, cell in COLUMNS) + " |" for row in rows)
    return "\n".join(lines)


def naive_table(rows: Iterable[Row]) -> str:
    """What the naive client (one HTTP request per call) needed for the same readings."""
    lines = [
        "| topology | device | our poll ms | naive: the integration's reads | ratio "
        "| naive: every reading of the installation | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        cells = [str(row["topology"]), str(row["device_speed"]), _fmt(row.get("poll_wall_ms"))]
        for key, ratio in (("naive_poll", "naive_ratio"), ("naive_all", "naive_all_ratio")):
            naive = row.get(key)
            if not naive:
                cells += ["-", "-"]
                continue
            how = (
                f"sampled {naive['measured_calls']}, extrapolated"
                if naive["extrapolated"]
                else "all sent"
            )
            cells += [
                f"{naive['wall_s'] * 1000:.0f} ms ({naive['calls']} requests, {how})",
                _ratio(row.get(ratio)),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One target of issue #11 and whether today's numbers meet it."""

    name: str
    status: str  # PASS, FAIL or n/a (the rows it needs were not run)
    measured: str


def _find(rows: list[Row], topology: str, speed: str) -> Row | None:
    return next((r for r in rows if r["topology"] == topology and r["device_speed"] == speed), None)


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _num(row: Row | None, key: str) -> Any:
    return None if row is None else row.get(key)


def _target_first_try(rows: list[Row]) -> Target:
    name = "every topology sets up on the first try at px3 speed"
    px3 = [r for r in rows if r["device_speed"] == "px3"]
    if not px3:
        return Target(name, "n/a", "no px3 rows")
    bad = [r["topology"] for r in px3 if not (r.get("setup_first_try") and r.get("setup_s"))]
    measured = f"{len(px3) - len(bad)}/{len(px3)} first try"
    if bad:
        measured += f" (not: {', '.join(bad)})"
    return Target(name, _status(not bad), measured)


def _target_le(
    name: str, row: Row | None, key: str, limit: float, unit: str, missing: str
) -> Target:
    value = _num(row, key)
    if row is None:
        return Target(name, "n/a", "row not run")
    if value is None:
        return Target(name, "FAIL", missing)
    return Target(name, _status(value <= limit), f"{value:g} {unit}".strip())


def _target_restart(rows: list[Row]) -> Target:
    name = "restart: all entities back within one poll interval, no full rediscovery (px3)"
    px3 = [r for r in rows if r["device_speed"] == "px3"]
    if not px3:
        return Target(name, "n/a", "no px3 rows")
    parts, ok = [], True
    for row in px3:
        restart, interval = row.get("restart_s"), row.get("poll_interval_s")
        if restart is None or interval is None:
            ok = False
            parts.append(f"{row['topology']}: not measured")
            continue
        full = bool(row.get("restart_full_rediscovery"))
        ok = ok and restart <= interval and not full
        kind = f"rediscovery of {row.get('restart_discovery_calls')} calls" if full else "stored"
        parts.append(f"{row['topology']}: {restart:g} s, {kind}")
    return Target(name, _status(ok), "; ".join(parts))


def _target_all_rows(
    name: str, rows: list[Row], key: str, check: Callable[[Any], bool], unit: str = ""
) -> Target:
    values = [(r, r.get(key)) for r in rows]
    if not values:
        return Target(name, "n/a", "no rows")
    measured = [(r, v) for r, v in values if v is not None]
    ok = len(measured) == len(values) and all(check(v) for _, v in measured)
    shown = sorted({f"{v:g}{unit}" for _, v in measured})
    text = ", ".join(shown) if shown else "not measured"
    if len(measured) < len(values):
        text += f" ({len(values) - len(measured)} rows not measured)"
    return Target(name, _status(ok), text)


def _target_switch(rows: list[Row]) -> Target:
    name = "switch: 1 HTTP request incl. confirming read, state shown when its answer is processed"
    measured = [r for r in rows if r.get("switch_http_requests") is not None]
    if not measured:
        return Target(name, "FAIL" if rows else "n/a", "not measured")
    requests = sorted({r["switch_http_requests"] for r in measured})
    immediate = all(r.get("switch_state_before_return") for r in measured)
    ok = requests == [1] and immediate and len(measured) == len(rows)
    ms = max(r.get("switch_to_state_ms") or 0 for r in measured)
    text = (
        f"{'/'.join(map(str, requests))} request(s); state before the service returned: "
        f"{'yes' if immediate else 'no'}; slowest {ms:g} ms"
    )
    if len(measured) < len(rows):
        text += f" ({len(rows) - len(measured)} rows not measured)"
    return Target(name, _status(ok), text)


def px3_estimate(rows: list[Row], topology: str) -> tuple[float, float, int] | None:
    """(our poll s, naive poll s, sub-requests) at px3 speed from the instant row's request
    counts and the px3 model: for a px3 row that has no poll (its setup failed)."""
    row = _find(rows, topology, "instant")
    if row is None or row.get("subrequests_per_poll") is None:
        return None
    px3 = EmulatorConfig(**device_speed_config("px3")).device_time()
    per_call, per_request = px3.call_s, px3.request_s
    sub = int(row["subrequests_per_poll"])
    ours = row["http_requests_per_poll"] * per_request + sub * per_call
    return ours, sub * (per_call + per_request), sub


def _estimate_note(rows: list[Row]) -> tuple[float, float, str] | None:
    """(our poll s, naive s, wording) of ``px3_estimate`` for the largest installation."""
    estimate = px3_estimate(rows, LARGEST)
    if estimate is None:
        return None
    ours, naive, sub = estimate
    return ours, naive, f"estimate from the instant row's {sub} sub-requests per poll: {ours:.1f} s"


def _target_busy(rows: list[Row]) -> Target:
    name = f"largest ({LARGEST}) at px3: device_busy_fraction <= 0.5 (default interval)"
    row = _find(rows, LARGEST, "px3")
    if row is None:
        return Target(name, "n/a", "row not run")
    if row.get("device_busy_fraction") is not None:
        busy = row["device_busy_fraction"]
        return Target(name, _status(busy <= 0.5), f"{busy:g}")
    note = _estimate_note(rows)
    if note is None:
        return Target(name, "FAIL", "no poll")
    interval = next((r["poll_interval_s"] for r in rows if r.get("poll_interval_s")), 30.0)
    ours, _naive, text = note
    return Target(name, "FAIL", f"no poll; {text} = {ours / interval:.2f} of {interval:g} s")


def _target_ratio(rows: list[Row]) -> Target:
    """The naive client reads the installation as the official SDK does without bulk: every
    reading, one HTTP request each. Also shown: the naive client reading only what our poll
    learned (its reads, and the outlet states its event channels fed: what one bulk and the
    channels gain; one bulk alone cannot exceed (40 + 8) / 8 = 6x at px3 speed)."""
    name = f"largest ({LARGEST}) at px3: poll wall >= 10x below the naive client (same run)"
    row = _find(rows, LARGEST, "px3")
    if row is None:
        return Target(name, "n/a", "row not run")
    ratio = row.get("naive_all_ratio")
    if ratio is None:
        text = "no poll of the integration to compare"
        if (note := _estimate_note(rows)) is not None:
            ours, naive, estimate = note
            text += f"; {estimate} vs naive {naive:.0f} s = {naive / ours:.1f}x"
        return Target(name, "FAIL", text)
    same = row.get("naive_ratio")
    detail = f"{ratio:g}x (every reading, one request each)"
    if same is not None:
        detail += f"; {same:g}x against what our poll learned, read call by call"
    return Target(name, _status(ratio >= 10), detail)


def _target_cpu_share(rows: list[Row]) -> Target:
    name = f"largest ({LARGEST}): integration's share of HA CPU per poll <= 20 %"
    for speed in ("px3", "instant"):
        row = _find(rows, LARGEST, speed)
        if row is not None and row.get("integration_cpu_share") is not None:
            share = row["integration_cpu_share"] * 100
            detail = (
                f"{share:.1f} % ({row['ha_cpu_ms_integration']:g} of "
                f"{row['ha_cpu_ms_per_poll']:g} ms, profiled at {speed} speed)"
            )
            outside = row.get("outside_state_writes_share_unprofiled")
            if outside is not None:
                detail += (
                    f"; without the profiler everything but HA's state writes is "
                    f"{outside * 100:.0f} %"
                )
            return Target(name, _status(share <= 20), detail)
    if _find(rows, LARGEST, "px3") or _find(rows, LARGEST, "instant"):
        return Target(name, "FAIL", "not profiled (no poll)")
    return Target(name, "n/a", "row not run")


def targets(rows: list[Row]) -> list[Target]:
    """Every target of the issue, evaluated on ``rows``."""
    largest_px3 = _find(rows, LARGEST, "px3")
    return [
        _target_first_try(rows),
        _target_le(
            f"largest ({LARGEST}) at px3: Submit to all entities available <= 60 s",
            largest_px3,
            "setup_s",
            60,
            "s",
            "never all available (see setup_error)",
        ),
        _target_restart(rows),
        _target_all_rows(
            "exactly 1 HTTP request per poll", rows, "http_requests_per_poll", lambda v: v == 1
        ),
        _target_switch(rows),
        _target_busy(rows),
        _target_all_rows(
            "state_writes_unchanged_poll = 0",
            rows,
            "state_writes_unchanged_poll",
            lambda v: v == 0,
        ),
        _target_ratio(rows),
        _target_le(
            f"standalone 24 outlets + 4 sensors ({STANDALONE_24}) at px3: setup <= 5 s",
            _find(rows, STANDALONE_24, "px3"),
            "setup_s",
            5,
            "s",
            "never all available",
        ),
        _target_cpu_share(rows),
    ]


def targets_block(rows: list[Row]) -> str:
    """``targets`` and one ``PASS``/``FAIL``/``n/a`` line per target."""
    lines = ["targets"]
    lines.extend(f"  {t.status:<4}  {t.name}: {t.measured}" for t in targets(rows))
    return "\n".join(lines)


def profile_summary(rows: list[Row]) -> str:
    """Where the CPU of a poll goes on the largest profiled installation."""
    profiled = [r for r in rows if r.get("cpu_split_percent")]
    if not profiled:
        return "profile: no poll was profiled"
    row = max(profiled, key=lambda r: (r.get("entities") or 0, r["device_speed"] == "px3"))
    lines = [
        f"profile of a poll, {row['topology']} at {row['device_speed']} speed "
        f"({row['ha_cpu_ms_per_poll']:g} ms CPU per poll, cProfile over "
        f"{row.get('profile_polls')} polls):"
    ]
    if row.get("ha_cpu_ms_changed_poll") is not None:
        lines.append(
            f"  without the profiler: {row['ha_cpu_ms_changed_poll']:g} ms in a poll after the "
            f"device's clock moved on, {row['ha_cpu_ms_unchanged_poll']:g} ms in one that read "
            "unchanged values"
        )
    if row.get("ha_cpu_ms_state_writes_unprofiled") is not None:
        writes = row["ha_cpu_ms_state_writes_unprofiled"]
        lines.append(
            f"  without the profiler, timed around each state write: HA's state writes {writes:g} "
            f"of {row['ha_cpu_ms_per_poll']:g} ms per timed poll; the rest (the integration, the "
            f"event loop, TLS, the cycle collector) "
            f"{row['outside_state_writes_share_unprofiled'] * 100:.0f} %"
        )
    lines.append("  under cProfile, by owner (applied to the CPU time without the profiler):")
    for bucket, percent in row["cpu_split_percent"].items():
        ms = row["ha_cpu_ms_per_poll"] * percent / 100
        lines.append(f"  {percent:5.1f} %  {ms:7.1f} ms  {bucket}")
    lines.append("  top functions, own time per poll under cProfile (inflated by the profiler):")
    lines.extend(
        f"    {f['tottime_ms_per_poll']:7.1f} ms  {f['calls_per_poll']:>6} calls  {f['function']}"
        for f in row.get("profile_top", [])[:10]
    )
    return "\n".join(lines)
