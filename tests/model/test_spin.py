"""The order protocol, model-checked with Spin (issue 17; docs/domain.md, "Model check").

``order_protocol.pml`` beside this file is the protocol as a Promela model: the order, its keys,
payments, refunds, requests and review as the code writes them (each conditional write one
atomic step) plus the steps issue 17 adds. Each check generates the verifier (``spin -a``),
compiles it (``gcc``) and runs it (``./pan``) in a temporary directory, over every interleaving:
the model must hold every invariant, and each broken variant must be caught. The states
explored are printed (also under ``-q``), kept as test properties, and written to
``build/model/spin.txt``.

Spin is Debian's ``spin`` package; ``make test`` installs it. Without it these tests fail, never
skip: an unchecked protocol must not pass for a checked one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MODEL = Path(__file__).with_name("order_protocol.pml")
SUMMARY = Path(__file__).resolve().parents[2] / "build" / "model" / "spin.txt"
MISSING = (
    "{tool} is not installed: the model check needs Debian's spin and a C compiler. "
    "`make test` installs them (apt-get install -y spin gcc); by hand: apt-get install -y spin gcc"
)
DEPTH = 10_000  # the deepest search is about 310 steps; pan says so if this were too small
MEMORY_MB = 4096  # pan stops with "out of memory" past this instead of swapping
STEP_TIMEOUT = 240  # seconds, each of spin, gcc and pan


@dataclass(frozen=True)
class Check:
    name: str
    defines: tuple[str, ...] = ()
    ltl: str | None = None  # None: safety (assertions, invalid end states); else pan -a -f -N ltl
    caught_by: tuple[str, ...] = ()  # a broken variant: its violation names one of these
    optimise: bool = False  # gcc -O1 (~5 s, and pan twice as fast): worth it for the largest search

    @property
    def broken(self) -> bool:
        return bool(self.caught_by)


CHECKS = (
    Check("order protocol: safety"),
    # People may stop acting for ever, so a decision cannot be forced by fairness: only intake
    # and the schedules are relied on. The people's stops make this the largest search; with
    # three customer submissions (enough for every kind of hold, and a second hold after the
    # first) it is 2.8 million states, with four 4.3 million.
    Check(
        "order protocol: every held order decided or escalated",
        ("PEOPLE_MAY_STOP", "MAX_ACTS=3"),
        ltl="held_decided_or_escalated",
        optimise=True,
    ),
    Check("order protocol: every abort answered", ltl="abort_answered"),
    Check("refund attempts: safety", ("REFUND_ATTEMPTS",)),
    Check(
        "broken: read keys released to stock",
        ("BROKEN_RELEASE_READ_KEYS",),
        caught_by=("INV_READ_KEY_NEVER_AVAILABLE",),
    ),
    # Which of the two it meets first depends on the search order: both are what cancelling a
    # delivering order under fulfilment's feet does.
    Check(
        "broken: stop approved without the abort handshake (today's code)",
        ("BROKEN_NO_ABORT_HANDSHAKE",),
        caught_by=("INV_NOT_DELIVERED_AND_CANCELLED", "INV_READ_KEY_NEVER_AVAILABLE"),
    ),
    # Paid twice is also paid back more than was refunded: whichever the monitor sees first.
    Check(
        "broken: provider pays every submit",
        ("REFUND_ATTEMPTS", "BROKEN_PROVIDER_NO_DEDUP"),
        caught_by=("INV_NO_REFUND_TWICE", "INV_REFUNDED_LE_PAID"),
    ),
    Check(
        "broken: overdue reviews never escalated",
        ("PEOPLE_MAY_STOP", "MAX_ACTS=3", "BROKEN_NO_ESCALATION"),
        ltl="held_decided_or_escalated",
        caught_by=("acceptance cycle",),
    ),
)


@dataclass(frozen=True)
class Run:
    check: Check
    output: str  # pan's
    errors: int
    states: int  # stored
    transitions: int
    pan_seconds: float
    wall_seconds: float  # spin + gcc + pan
    violation: str  # what failed: the invariant's name, another assertion, or an acceptance cycle
    trail: str  # the counterexample replayed (an error's steps, without the monitor's)

    def summary(self) -> str:
        verdict = f"caught: {self.violation}" if self.errors else "no errors"
        return (
            f"spin {self.check.name}: {self.states:,} states, {self.transitions:,} transitions, "
            f"{verdict} (pan {self.pan_seconds:.1f} s, with spin and gcc {self.wall_seconds:.1f} s)"
        )


def missing_tool() -> str | None:
    for tool in ("spin", "gcc"):
        if shutil.which(tool) is None:
            return MISSING.format(tool=tool)
    return None


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False)
    if done.returncode != 0 and args[0] != "./pan":  # pan's exit code does not tell errors apart
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    if found is None:
        raise AssertionError(f"pan's output has no {pattern!r}:\n{text}")
    return int(found.group(1))


def _counterexample(check: Check, workdir: Path, first_error: str) -> tuple[str, str]:
    """(what failed, its steps): spin -t replays pan's trail; an assertion of the monitor is
    named by its invariant (the ``assert(INV_...)`` on the line it reports), the monitor's own
    steps are left out of the trail."""
    text = _run(["spin", *[f"-D{d}" for d in check.defines], "-t", "-p", "-g", MODEL.name], workdir)
    noise = ("Invariants", ":init:", "[else]", "[(1)]", "[assert(")
    steps = [
        " ".join(line.split()[1:])
        for line in text.splitlines()
        if re.match(r"\s*\d+:\s+proc", line) and not any(n in line for n in noise)
    ]
    ends = [line.strip() for line in text.splitlines() if line.startswith("spin:") or "CYCLE" in line]
    what = first_error
    if at := re.search(rf"{re.escape(MODEL.name)}:(\d+), Error: assertion violated", text):
        source = MODEL.read_text().splitlines()[int(at.group(1)) - 1]
        named = re.search(r"assert\((INV_\w+)\)", source)
        what = named.group(1) if named else f"assertion at line {at.group(1)}: {source.strip()}"
    elif "acceptance cycle" in first_error:
        what = f"acceptance cycle ({check.ltl} violated)"
    return what, "\n".join(steps[-120:] + ends)


def verify(check: Check, workdir: Path) -> Run:
    start = time.monotonic()
    shutil.copy(MODEL, workdir / MODEL.name)
    defines = [f"-D{d}" for d in check.defines]
    _run(["spin", *defines, "-a", MODEL.name], workdir)
    mode = ["-DSAFETY", "-DNOCLAIM"] if check.ltl is None else ["-DNFAIR=4"]  # 11 processes + claim
    level = "-O1" if check.optimise else "-O0"
    _run(["gcc", "-w", level, f"-DMEMLIM={MEMORY_MB}", *mode, "-o", "pan", "pan.c"], workdir)
    search = [f"-m{DEPTH}"] + ([] if check.ltl is None else ["-a", "-f", "-N", check.ltl])
    out = _run(["./pan", *search], workdir)
    for incomplete in ("max search depth too small", "out of memory", "MEMLIM bound"):
        if incomplete in out:
            raise AssertionError(f"{check.name}: the search was not complete ({incomplete}):\n{out}")
    errors = _number(r"errors: (\d+)", out)
    first_error = next((line for line in out.splitlines() if re.match(r"pan:\d+:", line)), "")
    violation, trail = _counterexample(check, workdir, first_error) if errors else ("", "")
    return Run(
        check=check,
        output=out,
        errors=errors,
        states=_number(r"(\d+) states, stored", out),
        transitions=_number(r"(\d+) transitions", out),
        pan_seconds=float(re.search(r"elapsed time ([\d.e+-]+)", out).group(1)),  # type: ignore[union-attr]
        wall_seconds=time.monotonic() - start,
        violation=violation,
        trail=trail,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every check, two at a time (the machine has two cores), each in its own directory."""
    if missing_tool():
        yield {}
        return
    dirs = [tmp_path_factory.mktemp("spin") for _ in CHECKS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip((c.name for c in CHECKS), pool.map(verify, CHECKS, dirs), strict=True))
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text("".join(r.summary() + "\n" for r in done.values()))
    yield done


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
def test_model_check(
    check: Check,
    runs: dict[str, Run],
    record_property: pytest.RecordProperty,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if why := missing_tool():
        pytest.fail(why)
    run = runs[check.name]
    record_property("states_stored", run.states)
    record_property("transitions", run.transitions)
    record_property("pan_seconds", run.pan_seconds)
    with capsys.disabled():
        print(f"\n{run.summary()}")
    if check.broken:
        assert run.errors >= 1, f"{check.name}: the broken variant was not caught\n{run.output}"
        assert any(word in run.violation for word in check.caught_by), (
            f"{check.name}: caught by something else than {check.caught_by}: {run.violation}\n{run.trail}"
        )
    else:
        assert run.errors == 0, (
            f"{check.name}: {run.violation}\ncounterexample (spin -t -p):\n{run.trail}\n\n{run.output}"
        )
