SUMMARY = "tzinfer-run: runs a .tzm model in the S-Tinylib Trusted Application"
DESCRIPTION = "The normal-world client on libteec: uploads a model to the tzinfer TA, runs \
               inference on an input tensor and prints the top classes and timings. With \
               --world normal it runs the same engine outside the TEE, as a baseline."
SECTION = "security"

require recipes-tzinfer/tzinfer-source.inc

DEPENDS += "optee-client"

# client/ links the engine and tinylibm for --world normal and shares ta/include with the TA.
SRC_URI = "file://client;subdir=${BP} \
           file://ta;subdir=${BP} \
           file://stinylib;subdir=${BP} \
           file://tinylibm;subdir=${BP} \
           "

B = "${WORKDIR}/build"

# The Makefile sets CC from CROSS_COMPILE; OE's CC (with --sysroot) wins on the command line.
# CFLAGS and LDFLAGS come from the environment.
EXTRA_OEMAKE = "'CC=${CC}' \
                TEEC_SYSROOT=${STAGING_DIR_TARGET} \
                O=${B} \
                "

do_compile() {
    oe_runmake -C ${S}/client
}
do_compile[cleandirs] = "${B}"

do_install() {
    install -D -m 0755 ${B}/tzinfer-run ${D}${bindir}/tzinfer-run
}

RDEPENDS:${PN} += "tzinfer-ta"
