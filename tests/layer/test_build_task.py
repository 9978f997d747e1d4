"""`invoke build` stops at once, before kas, when a product image would be signed with OP-TEE's
public test key, and says how to make a key; test images (--tests) go ahead, as
the layer lets them (TZINFER_ALLOW_PUBLIC_TA_KEY in kas/test.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from invoke import Context, Result
from invoke.exceptions import Exit

from tzinfer.tasks import yocto


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("TZINFER_TA_SIGN_KEY", raising=False)
    monkeypatch.setattr(yocto.shutil, "which", lambda *args, **kwargs: "/usr/bin/kas")
    monkeypatch.setattr(yocto, "YOCTO_BUILD_DIR", tmp_path / "yocto")
    path = tmp_path / "m.tzm"
    path.write_bytes(b"model")
    return str(path)


class RecordingContext(Context):
    """Records the commands the task would run instead of running them."""

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []

    def run(self, command: str, **kwargs: object) -> Result:  # type: ignore[override]
        self.ran.append(command)
        return Result()


def run_build(**kwargs: object) -> list[str]:
    context = RecordingContext()
    yocto.build(context, **kwargs)
    return context.ran


def test_product_image_without_a_key_stops_before_kas(model: str) -> None:
    with pytest.raises(Exit, match=r"no TA signing key.*openssl genrsa -out ta-sign.pem 4096.*--tests"):
        run_build(machine="rpi3", models=model)


def test_test_images_build_without_a_key(model: str) -> None:
    ran = run_build(machine="rpi3", models=model, tests=True)
    assert len(ran) == 1 and ran[0].startswith("/usr/bin/kas build")


def test_qemu_has_no_yocto_image_and_points_at_the_quick_stack(model: str) -> None:
    with pytest.raises(Exit, match=r"board qemu has no kas file: the quick QEMU stack \(invoke test-qemu\)"):
        run_build(machine="qemu", models=model)


def test_product_image_with_a_key_builds(model: str, tmp_path: Path) -> None:
    key = tmp_path / "ta-sign.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    assert len(run_build(machine="rpi3", models=model, sign_key=str(key))) == 1

