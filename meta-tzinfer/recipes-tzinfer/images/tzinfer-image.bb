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

# bmaptool needs the block map next to the wic image (invoke flash uses it).
IMAGE_FSTYPES:append = " wic.bmap"
