# The TA dev kit of optee-os_4.10.0.bb: TAs must be built with the dev kit of the OS they run on.
# meta-arm keeps the dev kit recipe body in each versioned recipe (optee-os-tadevkit_<version>.bb,
# no .inc), so this is its 4.9.0 recipe at 4.10.0; requiring meta-arm's _git recipe instead would
# pull in optee-os_git.bb (its require expands PV while bitbake parses that file: "git").
require recipes-security/optee/optee-os_${PV}.bb

SUMMARY = "OP-TEE Trusted OS TA devkit"
DESCRIPTION = "OP-TEE TA devkit for build TAs"
HOMEPAGE = "https://www.op-tee.org/"

DEPENDS += "python3-pycryptodome-native"
DEPENDS:append:toolchain-clang = " lld-native"

# meta-arm's install: the dev kit is a tree (cp -a keeps it; install copies single files).
# nooelint: oelint.task.nocopy
do_install() {
    #install TA devkit
    install -d ${D}${includedir}/optee/export-user_ta/
    for f in ${B}/export-ta_${OPTEE_ARCH}/* ; do
        cp -aR $f ${D}${includedir}/optee/export-user_ta/
    done
}

do_deploy() {
    echo "Do not inherit do_deploy from optee-os."
}

# nooelint: oelint.var.filesoverride
FILES:${PN} = "${includedir}/optee/"

# Build paths are currently embedded
# nooelint: oelint.vars.insaneskip
INSANE_SKIP:${PN}-dev += "buildpaths"

# Include extra headers needed by SPMC tests to TA DEVKIT.
EXTRA_OEMAKE:append = "${@bb.utils.contains('MACHINE_FEATURES', 'optee-spmc-test', ' CFG_SPMC_TESTS=y', '', d)}"
