SUMMARY = "Models for tzinfer-run, in tzinfer's .tzm format"
DESCRIPTION = "Installs the .tzm model packages listed in TZINFER_MODELS into ${datadir}/tzinfer/models."
SECTION = "misc"

require recipes-tzinfer/tzinfer-source.inc

# Models are converted on the host before the build: `tzinfer convert model.onnx -o model.tzm`
# needs ONNX, numpy and (for the fixtures) torch, none of which belong in a bitbake task.
# TZINFER_MODELS (local.conf or kas env) lists the absolute paths of the .tzm files. They are
# fetched with file://, so a changed model rebuilds the package; a path that does not exist stops
# the parse with bitbake's "Unable to get checksum ... file could not be found", naming the file.
SRC_URI = "${@' '.join('file://' + path for path in (d.getVar('TZINFER_MODELS') or '').split())}"

inherit allarch

# Without models there is nothing to package: skipped, so that a world build goes on, while an
# image that installs the package stops before building, giving this reason.
# A skip with its reason needs anonymous python (oelint-adv warns of their cost; this one reads
# one variable).
# nooelint: oelint.task.noanonpython
python () {
    if not d.getVar('TZINFER_MODELS'):
        raise bb.parse.SkipRecipe("TZINFER_MODELS is empty: convert a model on the host (tzinfer convert "
                                  "model.onnx -o model.tzm) and set TZINFER_MODELS to the absolute path(s) "
                                  "of the .tzm file(s); see docs/yocto.md")
}

python tzinfer_check_models() {
    for path in d.getVar('TZINFER_MODELS').split():
        if not (os.path.isabs(path) and path.endswith('.tzm')):
            bb.fatal("TZINFER_MODELS entry %s is not an absolute path to a .tzm file: give the absolute "
                     "paths of files made by `tzinfer convert`" % path)
}
tzinfer_check_models[doc] = "Stops with a clear message when TZINFER_MODELS holds other than absolute .tzm paths"
do_fetch[prefuncs] += "tzinfer_check_models"

# Absolute file:// paths unpack to the same path below UNPACKDIR.
S = "${UNPACKDIR}"

do_install() {
    install -d ${D}${datadir}/tzinfer/models
    for model in ${TZINFER_MODELS}; do
        install -m 0644 ${UNPACKDIR}$model ${D}${datadir}/tzinfer/models/
    done
}

FILES:${PN} += "${datadir}/tzinfer/models/"
