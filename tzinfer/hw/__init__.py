"""The hardware path: a board's root shell over its serial console (a USB-serial adapter on the
Raspberry Pi 3B+'s GPIO14/15 UART), for `invoke test-hw` and `invoke hw.console`.

Modules, one per concept:
- `port`: opens a serial port (pyserial, exclusive) and drives it with pexpect's fdspawn, logging
  everything the board prints.
- `login`: waits for the board to boot (or asks the user to power it) and logs in.
- `provision`: puts the data files the target checks read onto the board, verified by sha256.
- `target`: the three above put together: port -> root shell as a `tzinfer.stack.console.Console`.
- `terminal`: the interactive console of `invoke hw.console` (pyserial's miniterm, logged).
- `qemu_pty`: the QEMU stack with its console on a pseudo-terminal, a stand-in for a board.
"""


class SerialError(RuntimeError):
    """A failure on the serial path; the message is one line naming the cause and the fix."""
