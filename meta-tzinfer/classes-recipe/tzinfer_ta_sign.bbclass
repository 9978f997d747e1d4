# TA signing key for recipes that sign Trusted Applications (optee-os for its in-tree TAs,
# tzinfer-ta) or embed the key that verifies them (optee-os).
#
# TZINFER_TA_SIGN_KEY (local.conf, your distro or kas env) is the absolute path of your RSA
# private key (PEM). OP-TEE's own keys/default_ta.pem is public: with it anyone can sign a TA the
# device will load, under our UUID too, and such a TA opens the model keys in secure storage.
# So a build without TZINFER_TA_SIGN_KEY, or with a copy of that key, stops, unless
# TZINFER_ALLOW_PUBLIC_TA_KEY = "1" says that this is a test image (kas/test.yml sets it).
#
# optee_os #5200: the TA dev kit that optee-os-tadevkit exports defaults TA_SIGN_KEY to its own
# keys/default_ta.pem, so a TA built against it under Yocto is signed with the test key even
# when optee-os was given another one, and then fails to load. The fix here: optee-os gets
# TA_SIGN_KEY (OP-TEE then also embeds its public half as TA_PUBLIC_KEY), and each TA recipe
# passes the same TA_SIGN_KEY explicitly. The dev kit is left alone, so the private key never
# lands in the staged or packaged dev kit.

TZINFER_ALLOW_PUBLIC_TA_KEY ??= ""

# SHA-256 of OP-TEE's public test key, keys/default.pem (default_ta.pem links to it): the 4096-bit
# key of optee_os 4.7 and later, and the 2048-bit key before it.
TZINFER_PUBLIC_TA_KEY_SHA256 = "ada6d2fd62ea342934ebc0fcefe133af320d1dea2d817e176ddac27c3abd11a2 \
                                0d49c9e341ba69c1bd2646e00ba7866dd7338f707a7410d71d88609d95f445f2"

# Make arguments that select the key; for the public key only the opt-in that ta/Makefile wants,
# since an empty TA_SIGN_KEY= on the make command line would defeat OP-TEE's "?=" default.
TZINFER_TA_SIGN_FLAGS = "${@'TA_SIGN_KEY=' + d.getVar('TZINFER_TA_SIGN_KEY') if d.getVar('TZINFER_TA_SIGN_KEY') else ''} \
                         ${@'TZI_ALLOW_PUBLIC_TA_KEY=y' if bb.utils.to_boolean(d.getVar('TZINFER_ALLOW_PUBLIC_TA_KEY')) else ''}"

python tzinfer_check_ta_sign_key() {
    import hashlib

    key = d.getVar('TZINFER_TA_SIGN_KEY')
    allowed = bb.utils.to_boolean(d.getVar('TZINFER_ALLOW_PUBLIC_TA_KEY'))
    how = ("make your own key with `openssl genrsa -out ta-sign.pem 4096`, keep it offline, and set "
           "TZINFER_TA_SIGN_KEY to its absolute path (docs/yocto.md); for a test image only, "
           "TZINFER_ALLOW_PUBLIC_TA_KEY = \"1\" accepts the public key")
    if key and (not os.path.isabs(key) or not os.access(key, os.R_OK)):
        bb.fatal("TZINFER_TA_SIGN_KEY=%s is not an absolute path to a readable file: point it at your "
                 "RSA private key in PEM form (openssl genrsa -out ta-sign.pem 4096)." % key)
    public = not key
    if key:
        with open(key, 'rb') as f:
            public = hashlib.sha256(f.read()).hexdigest() in d.getVar('TZINFER_PUBLIC_TA_KEY_SHA256').split()
    if not public:
        return
    what = "%s: TAs would be signed with OP-TEE's PUBLIC test key (keys/default_ta.pem%s)" % (
        d.getVar('PN'), ", given as TZINFER_TA_SIGN_KEY" if key else "")
    if not allowed:
        bb.fatal("%s: anyone could sign a TA this OP-TEE runs and read the model keys. Fix: %s." % (what, how))
    bb.warn("%s, accepted because TZINFER_ALLOW_PUBLIC_TA_KEY is set: a test image, never for a device." % what)
}
tzinfer_check_ta_sign_key[doc] = "Stops a build that signs TAs with OP-TEE's public test key unless TZINFER_ALLOW_PUBLIC_TA_KEY is set"
do_compile[prefuncs] += "tzinfer_check_ta_sign_key"
do_compile[vardeps] += "TZINFER_ALLOW_PUBLIC_TA_KEY"

# Rebuild when the key file changes, not only when its path does.
do_compile[file-checksums] += "${@'%s:True' % d.getVar('TZINFER_TA_SIGN_KEY') if d.getVar('TZINFER_TA_SIGN_KEY') else ''}"
