SUMMARY = "tzinfer image: private DNN inference in OP-TEE"
DESCRIPTION = "A console image with tee-supplicant, the S-Tinylib Trusted Application, the \
               tzinfer-run client and the models, booted through TF-A and our patched OP-TEE."
SECTION = "images"
LICENSE = "MIT"

inherit core-image

IMAGE_INSTALL:append = " \
    optee-client \
    tzinfer-ta \
    tzinfer-client \
    tzinfer-models \
    "

# bmaptool needs the block map next to the wic image (invoke flash uses it): meta-raspberrypi's
# rpi-base.inc lists wic.bz2 and wic.bmap in IMAGE_FSTYPES already, so nothing is added here.

# Test content, off by default: xtest (optee-test), tzinfer-hostile and the test TA with the
# WIPE_AUDIT hook (tzinfer-ta-test) for invoke test-hw. kas/test.yml switches it on
# together with empty-root-password; the product image ships neither the test tools nor the test
# TA nor a passwordless root.
FEATURE_PACKAGES_tzinfer-tests = "optee-test tzinfer-client-tests tzinfer-ta-test"

# Python applications: tzinfer.runtime.InferenceSession with python3 and numpy, off by default
# (IMAGE_FEATURES += "tzinfer-python"); libtzinfer-dev comes with the SDK and dev-pkgs.
FEATURE_PACKAGES_tzinfer-python = "python3-tzinfer-runtime"
