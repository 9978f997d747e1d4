"""The target as the host drives it, the same for the QEMU stack and a board: what is where on it,
its shell, and the `tzinfer-run` protocol. Shared by the QEMU tests, `invoke demo`/`qemu.bench`,
`tzinfer qemu run` and the board harness (tzinfer/hw), and independent of how the target was built:
importing it builds nothing (tests/test_target.py).

Modules, one per concept:
- `layout`: where the TAs, the client, the library and the data files are on the target.
- `console`: a root shell on a serial console, driven with pexpect (any pexpect child: QEMU's
  stdio, a socket, a board's serial port).
- `tzinfer_run`: the `tzinfer-run` command line, its output parser, and files fetched back as base64.
"""
