"""The hardware path: a board's root shell over its serial console (a USB-serial adapter on the
Raspberry Pi 3B+'s GPIO14/15 UART), for `invoke test-hw` and `invoke hw.console`.

Modules, one per concept:
- `port`: opens a serial port (pyserial, exclusive) and drives it with pexpect's fdspawn, logging
  everything the board prints.
- `login`: waits for the board to boot (or asks the user to power it) and logs in.
- `provision`: puts the data files the target checks read onto the board, verified by sha256.
- `target`: the three above put together: port -> root shell as a `tzinfer.target.console.Console`.
- `terminal`: the interactive console of `invoke hw.console` (pyserial's miniterm, logged).

It uses tzinfer.target (the console, the layout on the target) and nothing of the QEMU stack
builder: a board is tested without building the stack (tests/test_target.py). The QEMU stack with
its console on a pseudo-terminal, a stand-in board, is tzinfer.stack.pty_vm.
"""


class SerialError(RuntimeError):
    """A failure on the serial path; the message is one line naming the cause and the fix."""
