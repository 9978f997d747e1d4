# U-Boot is TF-A's BL33, loaded at NS_DRAM0_BASE (0x14000000 in board/rpi3/memory.yaml, moved
# up by our TF-A patch to make room for the larger secure DRAM), not at its link address.
FILESEXTRAPATHS:prepend:tzinfer := "${THISDIR}/files:"
SRC_URI:append:raspberrypi3-64:tzinfer = " file://position-independent.cfg"
