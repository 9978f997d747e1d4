SUMMARY = "S-Tinylib Trusted Application: DNN inference inside OP-TEE"
DESCRIPTION = "The tzinfer Trusted Application: the S-Tinylib inference engine and tinylibm, \
               built with OP-TEE's TA dev kit. It loads a .tzm model into secure memory and \
               runs it there."
SECTION = "security"

require recipes-tzinfer/tzinfer-source.inc

DEPENDS += "optee-os-tadevkit python3-cryptography-native"

SRC_URI = "file://ta;subdir=${BP} \
           file://stinylib;subdir=${BP} \
           file://tinylibm;subdir=${BP} \
           "

inherit python3native tzinfer_ta_sign

B = "${WORKDIR}/build"

TA_DEV_KIT_DIR = "${STAGING_INCDIR}/optee/export-user_ta"

# TA_DATA_SIZE, the TA heap, is the board's ta_heap_budget (tzinfer distro, from the memory map).
# TZI_TEST_HOOKS is set empty on purpose: this is the product TA, never the QEMU tests' build with
# the WIPE_AUDIT command (ta/include/tzinfer_ta_test.h), whatever the environment holds.
EXTRA_OEMAKE = "TA_DEV_KIT_DIR=${TA_DEV_KIT_DIR} \
                CROSS_COMPILE=${HOST_PREFIX} \
                TA_DATA_SIZE=${TZINFER_TA_HEAP_BUDGET} \
                TZI_TEST_HOOKS= \
                O=${B} \
                ${TZINFER_TA_SIGN_FLAGS} \
                "

# The TA is built for the OP-TEE of this machine.
PACKAGE_ARCH = "${MACHINE_ARCH}"

python tzinfer_check_heap_budget() {
    if not d.getVar('TZINFER_TA_HEAP_BUDGET'):
        bb.fatal("no tzinfer memory map for MACHINE %s (TZINFER_TA_HEAP_BUDGET is empty): build with "
                 "DISTRO = \"tzinfer\" on a machine that has board/<board>/memory.yaml and its generated "
                 "conf/include/tzinfer-memory-<board>.inc" % d.getVar('MACHINE'))
}
tzinfer_check_heap_budget[doc] = "Stops with a clear message when the machine has no tzinfer memory map"
do_compile[prefuncs] += "tzinfer_check_heap_budget"

do_compile() {
    oe_runmake -C ${S}/ta
}
do_compile[cleandirs] = "${B}"

do_install() {
    install -d ${D}${nonarch_base_libdir}/optee_armtz
    install -m 0444 ${B}/*.ta ${D}${nonarch_base_libdir}/optee_armtz
}

FILES:${PN} += "${nonarch_base_libdir}/optee_armtz/"
