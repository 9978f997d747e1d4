# TF-A for the tzinfer distro: BL31 with the OP-TEE dispatcher, and secure DRAM sized by the
# board's memory map (our TF-A patches move SEC_DRAM* / NS_DRAM0_BASE; tests/test_board.py
# checks that they agree with board/<board>/: board.yaml names the map value of each). Every line
# carries the tzinfer override, with the machine's where it is board-specific: without the
# distro, TF-A stays as meta-arm and the product's own layers configure it.

FILESEXTRAPATHS:prepend:tzinfer := "${THISDIR}/files:"

# On rpi3 OP-TEE is BL32 inside the FIP (on QEMU meta-arm adds this dependency itself).
DEPENDS:append:raspberrypi3-64:tzinfer = " optee-os"

# qemuarm64-secureboot: meta-arm already builds TF-A with SPD=opteed and OP-TEE as BL32; only
# the secure DRAM moves.
SRC_URI:append:qemuarm64-secureboot:tzinfer = " file://0001-plat-qemu-put-the-BL32-secure-DRAM-in-DDR.patch"

# Raspberry Pi 3 (meta-arm has no rpi3 TF-A): armstub8.bin = BL1 padded to 128 KiB, then the
# FIP with BL2, BL31, OP-TEE (BL32) and U-Boot (BL33). The firmware loads it at 0 (config.txt
# armstub=, see conf/machine/include/tzinfer-rpi3.inc).
COMPATIBLE_MACHINE:raspberrypi3-64:tzinfer = "raspberrypi3-64"
SRC_URI:append:raspberrypi3-64:tzinfer = " file://0002-plat-rpi3-grow-BL32-secure-DRAM-and-reserve-it.patch"
TFA_PLATFORM:raspberrypi3-64:tzinfer = "${TZINFER_TFA_PLATFORM}"
TFA_SPD:raspberrypi3-64:tzinfer = "opteed"
TFA_UBOOT:raspberrypi3-64:tzinfer = "1"
TFA_BUILD_TARGET:raspberrypi3-64:tzinfer = "all fip"
TFA_INSTALL_TARGET:raspberrypi3-64:tzinfer = "armstub8.bin"
EXTRA_OEMAKE:append:raspberrypi3-64:tzinfer = " \
    NEED_BL32=yes \
    BL32=${STAGING_DIR_TARGET}${nonarch_base_libdir}/firmware/tee-header_v2.bin \
    BL32_EXTRA1=${STAGING_DIR_TARGET}${nonarch_base_libdir}/firmware/tee-pager_v2.bin \
    BL32_EXTRA2=${STAGING_DIR_TARGET}${nonarch_base_libdir}/firmware/tee-pageable_v2.bin \
    ${TZINFER_TFA_MEMORY_FLAGS} \
    "

# IMAGE_BOOT_FILES takes armstub8.bin from the top of the deploy directory.
do_deploy:append:raspberrypi3-64:tzinfer() {
    ln -srf ${DEPLOYDIR}/${PN}/armstub8.bin ${DEPLOYDIR}/armstub8.bin
}
