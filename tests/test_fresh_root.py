"""What `invoke fresh-check` runs and passes in. The check itself (debootstrap, chroot, the
README's commands) is CI's job: .ci/run runs it."""

import pytest

from tzinfer import fresh_root


def test_the_readme_gives_set_up_and_test_commands() -> None:
    setup, test = fresh_root.readme_commands()
    assert setup.startswith("scripts/bootstrap && ") and "invoke demo" in setup
    assert test == ".venv/bin/invoke test"


def test_only_registry_access_is_passed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("https_proxy", "http://proxy:3128")
    monkeypatch.setenv("VIRTUAL_ENV", "/work/main/.venv")
    env = fresh_root.FreshRoot("trixie").environment()
    assert env["https_proxy"] == "http://proxy:3128"
    assert "PIP_FIND_LINKS" not in env and "VIRTUAL_ENV" not in env
    assert env["PATH"].split(":")[0] == "/usr/local/sbin"


def test_unknown_release_is_refused() -> None:
    with pytest.raises(fresh_root.FreshRootError, match="unknown release 'buster'"):
        fresh_root.FreshRoot("buster")


def test_ci_runs_the_readme_through_fresh_check() -> None:
    ci = (fresh_root.REPO_ROOT / ".ci" / "run").read_text()
    assert "invoke fresh-check --release trixie" in ci
