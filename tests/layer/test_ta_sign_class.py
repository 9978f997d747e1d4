"""The signing check of classes-recipe/tzinfer_ta_sign.bbclass, run as bitbake runs a prefunc:
its python body with a datastore and a `bb` whose fatal() stops. Signing with OP-TEE's public
test key (no TZINFER_TA_SIGN_KEY, or a copy of default_ta.pem) stops the build and says how to
make a key, unless TZINFER_ALLOW_PUBLIC_TA_KEY is set (kas/test.yml does); the TA Makefile
refuses the same (tests/test_ta_makefile.py)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
import yaml

from tzinfer import REPO_ROOT
from tzinfer.stack.layout import QemuStack

BBCLASS = REPO_ROOT / "meta-tzinfer/classes-recipe/tzinfer_ta_sign.bbclass"


class Fatal(Exception):
    pass


class FakeBB:
    """What the prefunc uses of bitbake's `bb` module."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def fatal(self, message: str) -> None:
        raise Fatal(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    class utils:  # noqa: N801 - bb.utils
        @staticmethod
        def to_boolean(value: str | None) -> bool:
            return (value or "").strip().lower() in ("1", "yes", "y", "true", "on")


class FakeData:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def getVar(self, name: str) -> str | None:  # noqa: N802 - bitbake's name
        return self.values.get(name)


def class_variable(name: str) -> str:
    """A plain assignment in the class (continued lines joined)."""
    text = BBCLASS.read_text().replace("\\\n", " ")
    value = re.search(rf'^{name} = "([^"]*)"', text, re.M)
    assert value, name
    return value[1]


def run_check(**values: str) -> FakeBB:
    body = re.search(r"^python tzinfer_check_ta_sign_key\(\) \{\n(.*?)^\}", BBCLASS.read_text(), re.M | re.S)
    assert body
    bb = FakeBB()
    data = FakeData({"PN": "tzinfer-ta",
                     "TZINFER_PUBLIC_TA_KEY_SHA256": class_variable("TZINFER_PUBLIC_TA_KEY_SHA256"),
                     **values})
    code = "def check(d):\n" + body[1]
    scope: dict = {"bb": bb, "os": os}
    exec(compile(code, str(BBCLASS), "exec"), scope)  # noqa: S102 - the class's own prefunc
    scope["check"](data)
    return bb


@pytest.fixture
def public_key_copy(tmp_path: Path, qemu_devkit_key: bytes) -> Path:
    path = tmp_path / "default_ta.pem"
    path.write_bytes(qemu_devkit_key)
    return path


@pytest.fixture(scope="module")
def qemu_devkit_key(qemu_stack: QemuStack) -> bytes:
    """OP-TEE's public test key, as the dev kit of the QEMU stack's optee_os exports it."""
    return (qemu_stack.ta_devkit / "keys" / "default_ta.pem").read_bytes()


def test_no_key_stops_the_build_and_says_how_to_make_one() -> None:
    with pytest.raises(Fatal, match=r"PUBLIC test key.*openssl genrsa -out ta-sign.pem 4096.*"
                                    r"TZINFER_ALLOW_PUBLIC_TA_KEY"):
        run_check()


def test_a_copy_of_the_public_key_stops_the_build_too(public_key_copy: Path) -> None:
    with pytest.raises(Fatal, match="given as TZINFER_TA_SIGN_KEY"):
        run_check(TZINFER_TA_SIGN_KEY=str(public_key_copy))
    assert hashlib.sha256(public_key_copy.read_bytes()).hexdigest() in class_variable(
        "TZINFER_PUBLIC_TA_KEY_SHA256")


def test_the_opt_in_accepts_the_public_key_with_a_warning(public_key_copy: Path) -> None:
    for key in ("", str(public_key_copy)):
        bb = run_check(TZINFER_TA_SIGN_KEY=key, TZINFER_ALLOW_PUBLIC_TA_KEY="1")
        assert len(bb.warnings) == 1 and "never for a device" in bb.warnings[0]


def test_an_own_key_passes_silently_and_a_missing_one_stops(tmp_path: Path) -> None:
    own = tmp_path / "ta-sign.pem"
    own.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot the public one\n-----END PRIVATE KEY-----\n")
    assert run_check(TZINFER_TA_SIGN_KEY=str(own)).warnings == []
    with pytest.raises(Fatal, match="not an absolute path to a readable file"):
        run_check(TZINFER_TA_SIGN_KEY=str(tmp_path / "missing.pem"))


def test_test_images_opt_in_and_product_projects_do_not() -> None:
    test_conf = yaml.safe_load((REPO_ROOT / "kas/test.yml").read_text())["local_conf_header"]
    assert any('TZINFER_ALLOW_PUBLIC_TA_KEY = "1"' in text for text in test_conf.values())
    for project in ("kas.yml", "kas/common.yml"):
        assert "TZINFER_ALLOW_PUBLIC_TA_KEY" not in (REPO_ROOT / project).read_text()
