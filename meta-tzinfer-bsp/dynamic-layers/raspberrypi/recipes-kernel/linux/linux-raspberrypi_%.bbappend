# The tee and optee drivers, built in, so tee-supplicant finds /dev/tee0 without modules.
FILESEXTRAPATHS:prepend:tzinfer := "${THISDIR}/files:"
SRC_URI:append:raspberrypi3-64:tzinfer = " file://optee.cfg"
