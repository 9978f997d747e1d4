require optee-os-tzinfer.inc

# Signs the in-tree TAs with TZINFER_TA_SIGN_KEY and embeds its public half in the core.
inherit tzinfer-ta-sign
EXTRA_OEMAKE:append = " ${TZINFER_TA_SIGN_FLAGS}"
