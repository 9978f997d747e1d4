# The dev kit is built from the same patched tree and configuration as optee-os. It gets no
# signing key: TA recipes pass TZINFER_TA_SIGN_KEY themselves (see tzinfer_ta_sign.bbclass), so
# the private key never enters the exported dev kit.
require optee-os-tzinfer.inc
