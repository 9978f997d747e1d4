SUMMARY = "Models for tzinfer-run, in tzinfer's .tzm format"
DESCRIPTION = "Installs the .tzm model packages listed in TZINFER_MODELS into ${datadir}/tzinfer/models."
SECTION = "misc"

require recipes-tzinfer/tzinfer-source.inc

# Data only: the same package for every machine.
inherit allarch

# Models are converted on the host, before the build: `tzinfer convert model.onnx -o model.tzm`
# needs ONNX, numpy and (for the fixtures) torch, none of which belong in a bitbake task.
# Set TZINFER_MODELS to the absolute paths of the .tzm files (local.conf, or kas's env):
#   TZINFER_MODELS = "/home/me/tzinfer/build/models/mobilenetv2.tzm"
# The files are fetched with file://, so a changed model rebuilds the package.
TZINFER_MODELS ??= ""

def tzinfer_model_uris(d):
    return " ".join("file://%s" % path for path in (d.getVar('TZINFER_MODELS') or "").split())

SRC_URI = "${@tzinfer_model_uris(d)}"

python () {
    models = (d.getVar('TZINFER_MODELS') or "").split()
    if not models:
        raise bb.parse.SkipRecipe("TZINFER_MODELS is empty: convert a model on the host "
                                  "(tzinfer convert model.onnx -o model.tzm) and set TZINFER_MODELS to the "
                                  "absolute path(s) of the .tzm file(s); see docs/yocto.md")
    for path in models:
        if not (os.path.isabs(path) and path.endswith('.tzm')):
            raise bb.parse.SkipRecipe("TZINFER_MODELS entry %s is not an absolute path to a .tzm file: "
                                      "give absolute paths of files made by `tzinfer convert`" % path)
        if not os.path.isfile(path):
            raise bb.parse.SkipRecipe("TZINFER_MODELS entry %s does not exist: run `tzinfer convert` "
                                      "first or fix the path" % path)
}

# Absolute file:// paths unpack to the same path below UNPACKDIR.
S = "${UNPACKDIR}"

do_install() {
    install -d ${D}${datadir}/tzinfer/models
    for model in ${TZINFER_MODELS}; do
        install -m 0644 ${UNPACKDIR}$model ${D}${datadir}/tzinfer/models/
    done
}

FILES:${PN} = "${datadir}/tzinfer/models/"
