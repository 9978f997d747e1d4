# xtest and its TAs of the OP-TEE release in board/firmware.lock.yaml: xtest checks the OS it
# was released with (the quick QEMU stack runs Debian's build of the same release).
require recipes-security/optee/optee-test.inc

# The run-ptest file that optee-test.inc fetches lives beside it in meta-arm.
FILESEXTRAPATHS:prepend := "${@os.path.dirname(bb.utils.which(d.getVar('BBPATH'), 'recipes-security/optee/optee-test.inc'))}/optee-test:"

LIC_FILES_CHKSUM = "file://LICENSE.md;md5=a8fa504109e4cd7ea575bc49ea4be560 \
                    file://LICENSE-BSD;md5=dca16d6efa93b55d0fd662ae5cd6feeb \
                    file://LICENSE-GPL;md5=10e86b5d2a6cb0e2b9dcfdd26a9ac58d \
                   "

# 4.10.0
SRCREV = "88c93e87a5c172363ee986ded036a25cafcc9d2c"
