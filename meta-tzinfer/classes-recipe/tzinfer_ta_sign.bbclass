# TA signing key for recipes that sign Trusted Applications (optee-os for its in-tree TAs,
# tzinfer-ta) or embed the key that verifies them (optee-os).
#
# TZINFER_TA_SIGN_KEY (local.conf, your distro or kas env) is the absolute path of your RSA
# private key (PEM). Without it OP-TEE's default_ta.pem is used: that key is public, so anyone
# can sign a TA the device will load; every build that signs with it warns.
#
# optee_os #5200: the TA dev kit that optee-os-tadevkit exports defaults TA_SIGN_KEY to its own
# keys/default_ta.pem, so a TA built against it under Yocto is signed with the test key even
# when optee-os was given another one, and then fails to load. The fix here: optee-os gets
# TA_SIGN_KEY (OP-TEE then also embeds its public half as TA_PUBLIC_KEY), and each TA recipe
# passes the same TA_SIGN_KEY explicitly. The dev kit is left alone, so the private key never
# lands in the staged or packaged dev kit.

# Make arguments that select the key; empty for the default key, since an empty TA_SIGN_KEY=
# on the make command line would defeat OP-TEE's "?=" default.
TZINFER_TA_SIGN_FLAGS = "${@'TA_SIGN_KEY=' + d.getVar('TZINFER_TA_SIGN_KEY') if d.getVar('TZINFER_TA_SIGN_KEY') else ''}"

python tzinfer_check_ta_sign_key() {
    key = d.getVar('TZINFER_TA_SIGN_KEY')
    if not key:
        bb.warn("%s: TAs are signed with OP-TEE's PUBLIC test key (keys/default_ta.pem): anyone can "
                "sign a TA this OP-TEE will run. For a device, set TZINFER_TA_SIGN_KEY to the absolute "
                "path of your own RSA key (openssl genrsa -out ta-sign.pem 4096); see docs/yocto.md."
                % d.getVar('PN'))
        return
    if not os.path.isabs(key) or not os.access(key, os.R_OK):
        bb.fatal("TZINFER_TA_SIGN_KEY=%s is not an absolute path to a readable file: point it at your "
                 "RSA private key in PEM form (openssl genrsa -out ta-sign.pem 4096)." % key)
}
tzinfer_check_ta_sign_key[doc] = "Warns when TAs are signed with OP-TEE's public test key; stops on an unreadable key"
do_compile[prefuncs] += "tzinfer_check_ta_sign_key"

# Rebuild when the key file changes, not only when its path does.
do_compile[file-checksums] += "${@'%s:True' % d.getVar('TZINFER_TA_SIGN_KEY') if d.getVar('TZINFER_TA_SIGN_KEY') else ''}"
