# S-Tinylib build fragment, included by stinylib/Makefile, the TA's sub.mk and the Yocto recipe so
# that they all compile the same files. Paths start with this file's directory as it was included;
# wrap them in $(abspath ...) where absolute paths are needed. The library also needs tinylibm
# (tinylibm/tinylibm.mk: TINYLIBM_SRCS, TINYLIBM_INC).
STINYLIB_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
STINYLIB_SRCS := $(addprefix $(STINYLIB_DIR)/src/,act.c chunks.c conv.c conv_direct.c conv_geometry.c conv_im2col.c conv_planes.c conv_taps.c \
	eltwise.c gemm.c graph_io.c \
	layout.c load.c matmul.c opcheck.c plan.c pool.c qconv.c qdepthwise.c qgemm.c qops.c qpool.c run.c sha256.c softmax.c status.c team.c \
	batch_matmul.c conv_transpose.c pad_modes.c reduce.c resize.c slice.c tile.c where.c)
STINYLIB_INC := $(STINYLIB_DIR)/include
# Flags the kernels are written for. -ffp-contract=fast lets a*b+c become one FMA (ISO C modes
# default to off); unlike -ffast-math it keeps NaN/inf semantics.
STINYLIB_CFLAGS := -std=c99 -O3 -ffp-contract=fast
