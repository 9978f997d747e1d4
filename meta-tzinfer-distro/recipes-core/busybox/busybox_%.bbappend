# invoke test-hw uploads files over the serial console as base64 and checks them with sha256sum.
# OE-Core's busybox already has sha256sum (sha256sum.cfg) but not base64; one applet is a few
# KiB, where coreutils would add several MiB and replace every busybox tool in the image.
FILESEXTRAPATHS:prepend:tzinfer := "${THISDIR}/files:"
SRC_URI:append:tzinfer = " file://base64.cfg"
