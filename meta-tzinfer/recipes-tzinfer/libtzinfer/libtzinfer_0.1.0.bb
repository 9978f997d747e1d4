SUMMARY = "libtzinfer: run tzinfer models in the tzinfer TA from applications"
DESCRIPTION = "The normal-world C99 library over libteec: open a session with the tzinfer TA, load \
               a plain or sealed model, query its inputs and outputs, run it with named tensors, \
               read its statistics, cancel a run. libtzinfer holds the shared library (soname \
               libtzinfer.so.1), libtzinfer-dev the header tzinfer.h, the link and tzinfer.pc, \
               libtzinfer-staticdev the static library (docs/integrating.md)."
HOMEPAGE = "https://github.com/tzinfer/tzinfer"
SECTION = "libs"

require recipes-tzinfer/tzinfer-source.inc
require recipes-tzinfer/tzinfer-tee.inc

DEPENDS += "optee-client"

# libtzinfer/ is the library; ta/include has the TA's interface; stinylib names engine statuses.
SRC_URI = "file://libtzinfer;subdir=${BP} \
           file://ta;subdir=${BP} \
           file://stinylib;subdir=${BP} \
           "

B = "${WORKDIR}/build"

EXTRA_OEMAKE = "TEEC_SYSROOT=${STAGING_DIR_TARGET} \
                O=${B} \
                PREFIX=${prefix} \
                LIBDIR=${libdir} \
                INCLUDEDIR=${includedir} \
                "

do_compile() {
    oe_runmake -C ${S}/libtzinfer
}
do_compile[cleandirs] = "${B}"

do_install() {
    oe_runmake -C ${S}/libtzinfer install DESTDIR=${D}
}

# The package keeps its name (no debian renaming to libtzinfer1): images and applications ask
# for libtzinfer; the soname carries the ABI version.
DEBIAN_NOAUTONAME:${PN} = "1"

RDEPENDS:${PN} += "tzinfer-ta"
