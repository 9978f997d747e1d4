"""The users of the QEMU stack's initramfs besides root, for the key-management tests
(tests/qemu/test_key_policy.py): `tzuser`, an ordinary user, and `tzadmin`, a member of the key
administrators' group `tzkeys` that the stack's TA is built to trust (TZI_KEY_ADMIN_GID). Both
are in group `tee`, which owns /dev/tee0 as Debian's udev rule makes it.
"""

from __future__ import annotations

#: (name, uid, supplementary groups); each user's primary group has its uid as gid.
USERS = (("tzuser", 1000, ("tee",)), ("tzadmin", 1001, ("tee", "tzkeys")))
#: Groups besides the users' own: `tee` owns /dev/tee0; `tzkeys` may manage model keys.
GROUPS = {"root": 0, "tee": 990, "tzkeys": 4242}
#: The key administrators' group id the QEMU stack builds the TA with (payload.py).
KEY_ADMIN_GID = GROUPS["tzkeys"]


def etc_files() -> dict[str, str]:
    """/etc/passwd, /etc/group and /etc/shadow (no passwords: the console is root's) by name."""
    members: dict[str, list[str]] = {group: [] for group in GROUPS}
    for name, _, groups in USERS:
        for group in groups:
            members[group].append(name)
    passwd = ["root:x:0:0:root:/root:/bin/sh"]
    passwd += [f"{name}:x:{uid}:{uid}:{name}:/tmp:/bin/sh" for name, uid, _ in USERS]
    group = [f"{name}:x:{gid}:{','.join(members[name])}" for name, gid in GROUPS.items()]
    group += [f"{name}:x:{uid}:" for name, uid, _ in USERS]
    shadow = [f"{name}:*:0:0:99999:7:::" for name in ("root", *(user[0] for user in USERS))]
    return {"passwd": "\n".join(passwd) + "\n", "group": "\n".join(group) + "\n",
            "shadow": "\n".join(shadow) + "\n"}
