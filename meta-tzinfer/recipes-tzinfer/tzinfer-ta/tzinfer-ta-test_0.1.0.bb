SUMMARY = "TEST BUILD of the tzinfer TA with the WIPE_AUDIT hook: never for a product image"
DESCRIPTION = "TEST BUILD, NEVER FOR A PRODUCT IMAGE. The tzinfer Trusted Application built \
               with TZI_TEST_HOOKS=y under its own UUID: the product TA's sources plus the \
               WIPE_AUDIT command (ta/include/tzinfer_ta_test.h), which holds wiped memory \
               back from the heap and searches the TA's heap and stack on request, for the \
               zeroisation audit of invoke test-hw. Only the tzinfer-tests image feature \
               installs it, beside the product TA."

require tzinfer-ta.inc

EXTRA_OEMAKE += "TZI_TEST_HOOKS=y"
TZINFER_TA_UUID = "8a47ac46-b128-4b09-a7fc-58ae696b59e7"
