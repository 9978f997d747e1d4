# Tinylibm build fragment, included by the engine Makefile, the TA's sub.mk and Yocto recipes so
# that they all compile the same files. The paths start with this file's directory as it was
# included, so they resolve from make's working directory; wrap them in $(abspath ...) where absolute
# paths are needed (OP-TEE's sub.mk).
TINYLIBM_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
TINYLIBM_SRCS := $(addprefix $(TINYLIBM_DIR)/src/,erff.c expf.c log1pf.c logf.c sqrtf.c tanhf.c)
TINYLIBM_INC := $(TINYLIBM_DIR)/include
