SUMMARY = "S-Tinylib Trusted Application: DNN inference inside OP-TEE"
DESCRIPTION = "The tzinfer Trusted Application: the S-Tinylib inference engine and tinylibm, \
               built with OP-TEE's TA dev kit. It loads a .tzm model into secure memory and \
               runs it there."

require tzinfer-ta.inc

# TZI_TEST_HOOKS is set empty on purpose: this is the product TA, never the test build with the
# WIPE_AUDIT command (ta/include/tzinfer_ta_test.h, recipe tzinfer-ta-test), whatever the
# environment holds.
EXTRA_OEMAKE += "TZI_TEST_HOOKS="
TZINFER_TA_UUID = "${@tzinfer_c_string(d, 'ta/include/tzinfer_ta.h', 'TZI_TA_UUID_STR')}"
