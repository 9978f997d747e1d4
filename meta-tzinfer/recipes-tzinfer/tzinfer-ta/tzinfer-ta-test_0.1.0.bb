SUMMARY = "TEST BUILD of the tzinfer TA with the WIPE_AUDIT hook: never for a product image"
DESCRIPTION = "TEST BUILD, NEVER FOR A PRODUCT IMAGE. The tzinfer Trusted Application built \
               with TZI_TEST_HOOKS=y under its own UUID: the product TA's sources plus the \
               WIPE_AUDIT command (ta/include/tzinfer_ta_test.h), which holds wiped memory \
               back from the heap and searches the TA's heap and stack on request, for the \
               zeroisation audit of invoke test-hw. Only the tzinfer-tests image feature \
               installs it, beside the product TA."

require tzinfer-ta.inc

EXTRA_OEMAKE += "TZI_TEST_HOOKS=y"
TZINFER_TA_UUID = "${@tzinfer_c_string(d, 'ta/include/tzinfer_ta_test.h', 'TZI_TEST_TA_UUID_STR')}"
