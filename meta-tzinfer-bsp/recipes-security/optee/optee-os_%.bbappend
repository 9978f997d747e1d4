require optee-os-tzinfer.inc

# Signs the in-tree TAs with TZINFER_TA_SIGN_KEY and embeds its public half in the core.
inherit_defer ${@'tzinfer_ta_sign' if 'tzinfer' in (d.getVar('DISTROOVERRIDES') or '').split(':') else ''}
EXTRA_OEMAKE:append:tzinfer = " ${TZINFER_TA_SIGN_FLAGS}"
