SUMMARY = "tzinfer-run: runs a .tzm model in the S-Tinylib Trusted Application"
DESCRIPTION = "The normal-world client on libtzinfer: uploads a model to the tzinfer TA, runs \
               inference on input tensors (one, or many with --frames) and prints the top classes \
               and timings. With --world normal it runs the same engine outside the TEE, as a \
               baseline."
SECTION = "security"

require recipes-tzinfer/tzinfer-source.inc
require recipes-tzinfer/tzinfer-tee.inc

DEPENDS += "libtzinfer optee-client optee-os-tadevkit"

# client/ links the engine and tinylibm for --world normal and shares ta/include with the TA;
# tzinfer-hostile compiles libtzinfer's internal request builders (libtzinfer/src).
SRC_URI = "file://client;subdir=${BP} \
           file://libtzinfer;subdir=${BP} \
           file://ta;subdir=${BP} \
           file://stinylib;subdir=${BP} \
           file://tinylibm;subdir=${BP} \
           "

B = "${WORKDIR}/build"

# CC (with --sysroot), CFLAGS and LDFLAGS come from OE's environment. With the TA dev kit the
# engine is compiled with the TA's code-generation flags, so --world normal runs the same code.
# LIBTZINFER=system: tzinfer-run links the libtzinfer of the sysroot (recipe libtzinfer), so the
# image has one copy of the library.
EXTRA_OEMAKE = "TEEC_SYSROOT=${STAGING_DIR_TARGET} \
                TA_DEV_KIT_DIR=${STAGING_INCDIR}/optee/export-user_ta \
                O=${B} \
                LIBTZINFER=system \
                "

# tzinfer-hostile (client/hostile/) sends malformed requests and runs the soak; invoke test-hw
# needs it on the board. It goes to ${PN}-tests so that the product package stays tzinfer-run.
do_compile() {
    oe_runmake -C ${S}/client ${B}/tzinfer-run ${B}/tzinfer-hostile
}
do_compile[cleandirs] = "${B}"

do_install() {
    install -D -m 0755 ${B}/tzinfer-run ${D}${bindir}/tzinfer-run
    install -D -m 0755 ${B}/tzinfer-hostile ${D}${bindir}/tzinfer-hostile
}

PACKAGES =+ "${PN}-tests"
FILES:${PN}-tests += "${bindir}/tzinfer-hostile"

RDEPENDS:${PN} += "libtzinfer tzinfer-ta"
RDEPENDS:${PN}-tests += "tzinfer-ta"
