SUMMARY = "Device-tree overlay that announces OP-TEE to Linux on the Raspberry Pi"
DESCRIPTION = "Adds the /firmware/optee node (compatible linaro,optee-tz, method smc) so the \
Linux optee driver probes. OP-TEE's rpi3 port is built with CFG_DT=n and does not add it itself. \
The firmware applies the overlay (config.txt dtoverlay=tzinfer-optee) before TF-A runs."
SECTION = "bsp"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

inherit devicetree

COMPATIBLE_MACHINE = "^rpi$"

SRC_URI = "file://tzinfer-optee.dts"
S = "${UNPACKDIR}"
