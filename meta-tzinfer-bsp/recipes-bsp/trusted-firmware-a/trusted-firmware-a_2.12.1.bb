# TF-A at the LTS release of board/firmware.lock.yaml, which the quick QEMU stack builds too.
# The tzinfer distro selects it (conf/machine/include/tzinfer-firmware.inc); without the distro
# meta-arm's own version stays, as this layer's priority is below meta-arm's.
require recipes-bsp/trusted-firmware-a/trusted-firmware-a.inc

# TF-A v2.12.1 (lts-v2.12.1)
SRCREV_tfa = "8cf9edba5cc3ec11ed5463f206aa5819f7fdbade"
SRCBRANCH = "lts-v2.12"

LIC_FILES_CHKSUM += "file://docs/license.rst;md5=83b7626b8c7a37263c6a58af8d19bee1"

# Only for TFA_MBEDTLS = "1" (trusted boot; no tzinfer board uses it). docs/getting_started/
# prerequisites.rst names mbedtls 3.6.2; this is the 3.6 LTS fix release meta-arm pins for 2.12.
SRCBRANCH_MBEDTLS = "mbedtls-3.6"
SRC_URI_MBEDTLS = "git://github.com/Mbed-TLS/mbedtls;name=mbedtls;protocol=https;destsuffix=${BB_GIT_DEFAULT_DESTSUFFIX}/mbedtls;branch=${SRCBRANCH_MBEDTLS}"
SRCREV_mbedtls = "22098d41c6620ce07cf8a0134d37302355e1e5ef"

LIC_FILES_CHKSUM_MBEDTLS = "file://mbedtls/LICENSE;md5=379d5819937a6c2f1ef1630d341e026d"
