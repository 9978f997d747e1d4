SUMMARY = "tzinfer.runtime: an ONNX-Runtime-style Python session for the TA"
DESCRIPTION = "InferenceSession(path, key_id=None) with get_inputs(), get_outputs() and \
               run(output_names, feeds), over libtzinfer through ctypes. Offered by the image \
               feature tzinfer-python (docs/integrating.md)."
HOMEPAGE = "https://github.com/tzinfer/tzinfer"
SECTION = "devel/python"

require recipes-tzinfer/tzinfer-source.inc
require recipes-tzinfer/tzinfer-tee.inc

inherit python3-dir

# Only the runtime module and the package's __init__ go to the device; the converter and the
# tooling stay on the host.
SRC_URI = "file://tzinfer/__init__.py;subdir=${BP} \
           file://tzinfer/runtime.py;subdir=${BP} \
           "

do_install() {
    install -d ${D}${PYTHON_SITEPACKAGES_DIR}/tzinfer
    install -m 0644 ${S}/tzinfer/__init__.py ${S}/tzinfer/runtime.py ${D}${PYTHON_SITEPACKAGES_DIR}/tzinfer/
}

FILES:${PN} += "${PYTHON_SITEPACKAGES_DIR}/tzinfer"

RDEPENDS:${PN} += "libtzinfer python3-core python3-ctypes python3-numpy"
