SUMMARY = "Device-tree overlay that announces OP-TEE to Linux on the Raspberry Pi"
DESCRIPTION = "Adds the /firmware/optee node (compatible linaro,optee-tz, method smc) so the \
               Linux optee driver probes. OP-TEE's rpi3 port is built with CFG_DT=n and does \
               not add it itself. The firmware applies the overlay (config.txt \
               dtoverlay=tzinfer-optee) before TF-A runs."
SECTION = "bsp"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://tzinfer-optee.dts;beginline=1;endline=1;md5=6ec41034e04432ee375d0e14fba596f4"

inherit devicetree

COMPATIBLE_MACHINE = "^rpi$"

SRC_URI = "file://tzinfer-optee.dts"
S = "${UNPACKDIR}"
