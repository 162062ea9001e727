"""The developer commands: `make lint` passes on the tree, and CI (`.ci/run`) runs it."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lint_passes_on_the_tree():
    """`make lint` (ruff check + ruff format --check) passes, as README and the Makefile promise."""
    result = subprocess.run(["make", "--no-print-directory", "lint"], cwd=BASE_DIR, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def run_ci_with_fake_make(tmp_path, *, test_status: int, lint_status: int) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run .ci/run with a `make` on PATH that records its targets and exits as told."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "make.log"
    fake_make = bin_dir / "make"
    fake_make.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'case "$*" in\n'
        f"  *lint*) exit {lint_status} ;;\n"
        f"  *test*) exit {test_status} ;;\n"
        "esac\n"
        "exit 0\n"
    )
    fake_make.chmod(0o755)
    result = subprocess.run(
        [str(BASE_DIR / ".ci" / "run")],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    targets = log.read_text().split() if log.exists() else []
    return result, targets


def test_ci_runs_make_lint_as_well_as_make_test(tmp_path):
    result, targets = run_ci_with_fake_make(tmp_path, test_status=0, lint_status=0)
    assert result.returncode == 0, result.stderr
    assert "test" in targets
    assert "lint" in targets


def test_ci_fails_when_lint_fails_even_if_the_tests_pass(tmp_path):
    result, targets = run_ci_with_fake_make(tmp_path, test_status=0, lint_status=2)
    assert "lint" in targets
    assert result.returncode != 0


def test_ci_still_fails_when_the_tests_fail_and_lint_passes(tmp_path):
    result, targets = run_ci_with_fake_make(tmp_path, test_status=2, lint_status=0)
    assert result.returncode != 0


# --- `make run` (scripts/run-dev.sh) and the fake Stripe -------------------------------------------


def run_dev_with_stub_python(tmp_path, **env) -> dict[str, dict[str, str]]:
    """Run scripts/run-dev.sh with a stand-in interpreter that records each manage.py command it is
    asked to run, with the Stripe settings of its environment, instead of running it."""
    log = tmp_path / "calls.log"
    stub = tmp_path / "python"
    stub.write_text(
        "#!/bin/sh\n"
        "args=$(printf '%s' \"$*\" | tr '\\n|' '  ')\n"
        f'printf "%s|%s|%s|%s|%s\\n" "$args" "$STRIPE_SECRET_KEY" "$STRIPE_API_BASE" "$STRIPE_WEBHOOK_SECRET" "$SITE_URL" >> "{log}"\n'
        'case "$*" in *qcluster*|*runserver*|*fake_stripe*) sleep 1 ;; esac\n'
        "exit 0\n"
    )
    stub.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_") and k not in ("SITE_URL", "PORT")}
    result = subprocess.run(
        [str(BASE_DIR / "scripts" / "run-dev.sh")],
        cwd=BASE_DIR,
        env={**clean, "ANJU_DEV_PYTHON": str(stub), "PORT": "8765", "FAKE_STRIPE_PORT": "12999", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    calls = {}
    for line in log.read_text().splitlines():
        args, key, api_base, secret, site_url = line.split("|")
        command = args.split()[1] if len(args.split()) > 1 else args
        calls[command] = {"args": args, "key": key, "api_base": api_base, "secret": secret, "site_url": site_url}
    calls["_stdout"] = {"text": result.stdout}
    return calls


def test_make_run_without_a_stripe_key_starts_the_fake_stripe_and_points_the_app_at_it(tmp_path):
    from billing.fake_stripe import API_KEY, WEBHOOK_SECRET

    calls = run_dev_with_stub_python(tmp_path)
    assert calls["fake_stripe"]["args"] == (
        "manage.py fake_stripe --port 12999 --webhook-url http://127.0.0.1:8765/billing/stripe/webhook/"
    )
    for command in ("runserver", "qcluster"):
        assert calls[command]["key"] == API_KEY
        assert calls[command]["api_base"] == "http://127.0.0.1:12999"
        assert calls[command]["secret"] == WEBHOOK_SECRET
        assert calls[command]["site_url"] == "http://127.0.0.1:8765"
    assert "TEST MODE" in calls["_stdout"]["text"]


def test_make_run_with_a_real_stripe_key_does_not_start_the_fake(tmp_path):
    calls = run_dev_with_stub_python(tmp_path, STRIPE_SECRET_KEY="sk_live_from_the_operator", STRIPE_WEBHOOK_SECRET="whsec_x")
    assert "fake_stripe" not in calls
    assert calls["runserver"]["key"] == "sk_live_from_the_operator"
    assert calls["runserver"]["api_base"] == ""  # the settings' default: the real api.stripe.com
    assert "TEST MODE" not in calls["_stdout"]["text"]


# --- Dependencies by purpose: requirements.txt (runtime) and requirements-dev.txt (tests, lint) ---------

# Tools that a production install must not bring.
DEV_TOOLS = {"pytest", "pytest-django", "pytest-xdist", "factory-boy", "faker", "playwright", "ruff", "mypy", "django-stubs"}
# Where the application's own code lives (benchmarks/ and tests/ are development code).
APP_CODE_DIRS = ("accounts", "estates", "billing", "property_services", "rentals", "cms", "config")


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def pinned_requirements(filename: str) -> tuple[dict[str, str], list[str]]:
    """The `name==version` lines of a requirements file (by normalised name), and its other lines."""
    pins, others = {}, []
    for raw in (BASE_DIR / filename).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if sep and version and not any(c in name for c in "<>=!~[; "):
            pins[normalise(name)] = version
        else:
            others.append(line)
    return pins, others


def test_runtime_requirements_are_all_pinned_and_bring_no_test_or_lint_tool():
    runtime, unpinned = pinned_requirements("requirements.txt")
    assert unpinned == []
    assert {"django", "wagtail", "stripe", "weasyprint", "django-q2", "gunicorn"} <= runtime.keys()
    assert DEV_TOOLS.isdisjoint(runtime), sorted(DEV_TOOLS & runtime.keys())


def test_dev_requirements_are_the_runtime_set_plus_pinned_tools():
    runtime, _ = pinned_requirements("requirements.txt")
    dev, others = pinned_requirements("requirements-dev.txt")
    assert others == ["-r requirements.txt"]
    assert DEV_TOOLS <= dev.keys()
    assert runtime.keys().isdisjoint(dev), "pinned twice: " + ", ".join(sorted(runtime.keys() & dev.keys()))


def test_every_package_the_application_imports_is_in_the_runtime_set():
    """What the app code imports (at any depth, also inside functions) and the dotted paths its settings
    name (middleware, cache and storage back ends) come from packages that requirements.txt installs:
    pypdf for upload checks, say, must not slip into the development set."""
    import ast
    import sys
    from importlib.metadata import packages_distributions, requires

    runtime, _ = pinned_requirements("requirements.txt")
    distributions = packages_distributions()
    top_level_names = set()
    for folder in APP_CODE_DIRS:
        for path in (BASE_DIR / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    top_level_names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    top_level_names.add(node.module.split(".")[0])
                elif folder == "config" and isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if node.value.count(".") >= 1 and node.value.replace(".", "").replace("_", "").isalnum():
                        top_level_names.add(node.value.split(".")[0])
    needed = {normalise(dist) for name in top_level_names - set(sys.stdlib_module_names) for dist in distributions.get(name, [])}
    assert len(needed) > 10  # the scan found the app's libraries
    assert {"pypdf", "whitenoise"} <= needed  # accounts/uploads.py; the settings' middleware
    # Loaded by Django or the server itself rather than imported: PostgreSQL, the REDIS_URL cache, gunicorn.
    needed |= {"psycopg", "psycopg-binary", "redis", "gunicorn"}
    assert needed <= runtime.keys(), "imported by the app but not in requirements.txt: " + ", ".join(
        sorted(needed - runtime.keys())
    )
    # and what those need in turn (a package's own requirements, without its optional extras)
    for dist in needed:
        for requirement in requires(dist) or []:
            if "extra ==" in requirement or "platform_python_implementation != " in requirement:
                continue
            name = normalise(requirement.split(";")[0].split("[")[0].split(" ")[0].split("<")[0].split(">")[0].split("=")[0])
            if name in ("tzdata", "importlib-metadata", "async-timeout") or "python_version <" in requirement:
                continue  # only for other platforms or older Pythons
            assert name in runtime, f"{dist} requires {name}, which requirements.txt does not pin"


def make_dry_run(target: str) -> str:
    """The commands `make` would run for a target from scratch (-B: as if nothing were installed)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", target], cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_the_runtime_set_only():
    commands = make_dry_run("run")
    assert "-r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands
    assert "scripts/run-dev.sh" in commands


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["test", "lint"])
def test_make_test_and_lint_install_the_development_set(target):
    commands = make_dry_run(target)
    assert "-r requirements-dev.txt" in commands
    assert commands.index("-r requirements.txt") < commands.index("-r requirements-dev.txt")
    if target == "lint":
        assert [line.split("/")[-1] for line in commands.splitlines()[-3:]] == ["ruff check .", "ruff format --check .", "mypy"]
