# xtest for the tzinfer-tests image feature (invoke test-hw's xtest smoke check).

# meta-arm's optee.inc leaves COMPATIBLE_MACHINE "invalid" for machines it does not know.
COMPATIBLE_MACHINE:raspberrypi3-64:tzinfer = "raspberrypi3-64"

# xtest's TAs must be signed with the key our optee-os trusts, not the dev kit's default
# (optee_os #5200, see tzinfer_ta_sign.bbclass), or OP-TEE refuses to load them.
inherit_defer ${@'tzinfer_ta_sign' if 'tzinfer' in (d.getVar('DISTROOVERRIDES') or '').split(':') else ''}
EXTRA_OEMAKE:append:tzinfer = " ${TZINFER_TA_SIGN_FLAGS}"
