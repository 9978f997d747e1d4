# OP-TEE OS at the release of board/firmware.lock.yaml, which the quick QEMU stack builds too.
# The tzinfer distro selects it (conf/machine/include/tzinfer-firmware.inc); without the distro
# meta-arm's own version stays, as this layer's priority is below meta-arm's.
require recipes-security/optee/optee-os.inc

DEPENDS += "dtc-native"

# 4.10.0
SRCREV = "753afbbee1682f5d16fd30e87b31058a4fd4f4b8"
