# config.txt lines that the board memory map dictates (gpu_mem, where the firmware puts the DTB
# that TF-A edits and hands on); generated into conf/include/tzinfer-memory-rpi3.inc.
require conf/include/tzinfer-memory-rpi3.inc
TZINFER_RPI_CONFIG ??= ""
RPI_EXTRA_CONFIG:append:raspberrypi3-64 = "\n${TZINFER_RPI_CONFIG}"
