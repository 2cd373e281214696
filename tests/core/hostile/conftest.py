"""Fixtures of the hostile-input tests: the corpus module and its entries as parameters."""
import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load_helper(stem: str):
    # Loaded by path under a private name: the tests tree has no packages.
    name = f"dicegui_hostile_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


CORPUS = _load_helper("corpus")


@pytest.fixture(scope="session")
def corpus():
    """The corpus module (builders of hostile files)."""
    return CORPUS


@pytest.fixture(scope="session")
def sessions():
    """The edit_sessions module (reproducible random editing sessions)."""
    return _load_helper("edit_sessions")


@pytest.fixture(scope="session")
def helpers_dir():
    """This folder, for child processes that import the helpers."""
    return HERE


def pytest_generate_tests(metafunc):
    """Parametrize ``hostile``, ``absurd`` and ``hostile_pair`` over the corpus."""
    if "hostile" in metafunc.fixturenames:
        metafunc.parametrize("hostile", CORPUS.HOSTILE, ids=[h.name for h in CORPUS.HOSTILE])
    if "absurd" in metafunc.fixturenames:
        entries = [h for h in CORPUS.HOSTILE if h.absurd]
        metafunc.parametrize("absurd", entries, ids=[h.name for h in entries])
    if "hostile_pair" in metafunc.fixturenames:
        metafunc.parametrize("hostile_pair", CORPUS.PAIRS, ids=[p.name for p in CORPUS.PAIRS])


def build_or_skip(entry, folder: Path) -> Path:
    """Build one hostile entry, skipping where the platform cannot make it meaningful."""
    if entry.needs == "non-root" and hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions")
    if entry.needs == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    return entry.build(folder)


@pytest.fixture
def build():
    """``build(entry, folder) -> Path``: make one hostile file (skips where impossible)."""
    return build_or_skip


# ---------------------------------------------------------------- fuzz example count

#: Examples run by each property-based test, by test name (summed in the report).
FUZZ_EXAMPLES: dict = {}


@pytest.fixture
def count_example(request):
    """``count_example()`` inside a @given body: one more example of this test."""
    name = request.node.name

    def count():
        FUZZ_EXAMPLES[name] = FUZZ_EXAMPLES.get(name, 0) + 1

    return count


def pytest_terminal_summary(terminalreporter):
    if FUZZ_EXAMPLES:
        total = sum(FUZZ_EXAMPLES.values())
        terminalreporter.write_line(
            f"hostile-input fuzzing: {total} examples in {len(FUZZ_EXAMPLES)} property tests"
        )
