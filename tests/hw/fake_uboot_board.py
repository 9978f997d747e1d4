"""A scripted board for the boot-following tests: run with stdin/stdout on a pty's master side, it
boots like the QEMU stack (TF-A on the console, a silent pause while OP-TEE starts, U-Boot's
autoboot countdown, Linux) and then becomes a shell (bash) without a login, like the QEMU
initramfs. What the driver types while the board is not reading stays pending, as in a UART, and
U-Boot's countdown takes the first pending key as "stop": then it runs a small U-Boot command
line (echo, Ctrl-C, `boot`, "Unknown command" for anything else).

Usage: fake_uboot_board.py [--power-on-at-first-key] [--boot-fails] DELAY_S PAUSE_S
  DELAY_S: silence before TF-A prints; PAUSE_S: silence between TF-A and U-Boot.
  --power-on-at-first-key: stay off (silent) until a key is pending, and leave that key pending
  (the user powers the board on just as the driver pokes it).
  --boot-fails: U-Boot's boot command fails and returns to the prompt.
"""

import os
import select
import sys
import time

TFA = ("NOTICE:  Booting Trusted Firmware\r\nNOTICE:  BL1: v2.12.1(release)\r\n"
       "NOTICE:  BL2: v2.12.1(release)\r\nNOTICE:  BL31: v2.12.1(release)\r\n")
UBOOT = "\r\n\r\nU-Boot 2025.01 (fake)\r\n\r\nDRAM:  1 GiB\r\nHit any key to stop autoboot:  2"
COUNTDOWN_S = 2
LINUX = ("Starting kernel ...\r\n\r\n[    0.000000] Booting Linux on physical CPU 0x0000000000\r\n"
         "[    1.250000] optee: initialized driver\r\n")
READY = "tzinfer: normal world ready\r\n"
PROMPT = "\r\n=> "


def say(text: str) -> None:
    os.write(1, text.encode())


def key_pending(timeout: float | None) -> bool:
    return bool(select.select([0], [], [], timeout)[0])


def autoboot_stopped() -> bool:
    """U-Boot's abortboot: a pending key stops the countdown and is consumed."""
    for left in range(COUNTDOWN_S, 0, -1):
        say(f"\b\b\b{left:2d} ")
        if key_pending(1.0):
            os.read(0, 1)
            say("\b\b\b 0")
            return True
    say("\b\b\b 0 \r\n")
    return False


def boot_linux() -> None:
    say(LINUX)
    time.sleep(0.5)
    say(READY)
    os.execvp("bash", ["bash", "--norc", "--noprofile"])


def uboot_command_line(boot_fails: bool) -> None:
    say(PROMPT)
    line = ""
    while char := os.read(0, 1).decode(errors="replace"):
        if char == "\x03":
            say("<INTERRUPT>" + PROMPT)
            line = ""
        elif char in "\r\n":
            say("\r\n")
            command = line.split()
            line = ""
            if command[:1] == ["boot"]:
                if not boot_fails:
                    boot_linux()
                say("Wrong Image Format for bootm command\r\nERROR: can't get kernel image!")
            elif command[:1] == ["echo"]:
                say(" ".join(command[1:]))
            elif command:
                say(f"Unknown command '{command[0]}' - try 'help'")
            say(PROMPT)
        else:
            say(char)  # U-Boot echoes what it reads
            line += char


def main() -> None:
    options = [arg for arg in sys.argv[1:] if arg.startswith("--")]
    delay, pause = (float(arg) for arg in sys.argv[1:] if not arg.startswith("--"))
    if "--power-on-at-first-key" in options:
        key_pending(None)
    time.sleep(delay)
    say(TFA)
    time.sleep(pause)  # OP-TEE starts: it logs to its own UART, this one is silent
    say(UBOOT)
    if autoboot_stopped():
        uboot_command_line("--boot-fails" in options)  # returns only when the driver has gone
    else:
        boot_linux()


if __name__ == "__main__":
    main()
