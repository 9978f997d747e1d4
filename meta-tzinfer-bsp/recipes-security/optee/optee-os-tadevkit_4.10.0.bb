# The TA dev kit of optee-os_4.10.0.bb: TAs must be built with the dev kit of the OS they run on.
# meta-arm's dev kit recipe, which requires optee-os_${PV}.bb, i.e. this layer's 4.10.0 recipe.
require recipes-security/optee/optee-os-tadevkit_git.bb
