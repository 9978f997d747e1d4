"""Helpers for the Yocto layers (meta-tzinfer and its BSP and distro parts) and the SD-card workflow.

`memconf` turns a board's memory.yaml into the committed bitbake include the BSP layer reads;
`flash` decides whether a block device is safe to overwrite with an image.
"""

from tzinfer import REPO_ROOT

#: The layers, split as meta-arm splits its own: the software (TA, client, models, image, classes;
#: needs core and meta-arm), the BSP (OP-TEE / TF-A / boot-chain changes for the two boards, all
#: under the tzinfer override) and the distro (Poky plus that override).
SOFTWARE_LAYER = REPO_ROOT / "meta-tzinfer"
BSP_LAYER = REPO_ROOT / "meta-tzinfer-bsp"
DISTRO_LAYER = REPO_ROOT / "meta-tzinfer-distro"
LAYERS = (SOFTWARE_LAYER, BSP_LAYER, DISTRO_LAYER)
