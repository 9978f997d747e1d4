/*
 * The .tzm v2 format (docs/model-format.md): its magic, version, record sizes, header field
 * offsets, caps and the codes of its records (op types, activations, kinds). The one source of
 * them for every reader and writer: the engine (stinylib), the TA and libtzinfer (which recognise
 * the retired sealed format v1 by the .tzm header, ta/include/tzinfer_sealed.h), the client tools
 * and the fuzzer include it, and tzinfer/tzm.py reads its `#define STL_...` lines
 * (tzinfer.sources.c_defines); tests/test_format_constants.py checks tzm.py's enums against the
 * enums here.
 */
#ifndef TZM_FORMAT_H
#define TZM_FORMAT_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "S-Tinylib maps the little-endian .tzm records in place; big-endian hosts are not supported"
#endif

#define STL_MAGIC "TZMODEL"      /* with its NUL: the 8 bytes at STL_HDR_MAGIC */
#define STL_MAGIC_BYTES 8u
#define STL_VERSION_MAJOR 2u
/* 2.1 gives meaning to the tensor fields 2.0 requires to be zero: dtype other than F32, the zero
 * point and the scale (docs/model-format.md, "Versions and compatibility"). A writer marks a file
 * 2.1 only when a tensor uses them, so float models stay 2.0 files every 2.x loader takes. */
#define STL_VERSION_MINOR 1u
#define STL_VERSION_MINOR_FLOAT 0u
#define STL_HEADER_SIZE 128u
#define STL_TENSOR_RECORD 40u
#define STL_OP_RECORD 80u
#define STL_BINDING_RECORD 16u
#define STL_SOURCE_DIGEST 32u  /* SHA-256 of the ONNX file the model was converted from */
#define STL_ALIGN 16u
#define STL_MAX_COUNT 65535u   /* cap on n_tensors and n_ops: bounds the loader's work */
#define STL_MAX_GRAPH_IO 255u  /* cap on n_inputs and on n_outputs: bounds the name checks */
#define STL_MAX_NAME 255u      /* longest input or output name, in bytes */
/* The plan check has no memory to keep live ranges in and costs O(n_tensors × (n_ops + n_io +
 * n_inputs + n_outputs)); this cap keeps a hostile file's load under a second (real models are
 * below 2^22). */
#define STL_MAX_PLAN_WORK (1ull << 27)

/* Header field offsets (docs/model-format.md, "Header"); each field runs to the next one. */
#define STL_HDR_MAGIC 0u
#define STL_HDR_VERSION_MAJOR 8u
#define STL_HDR_VERSION_MINOR 10u
#define STL_HDR_FLAGS 12u
#define STL_HDR_HEADER_SIZE 16u
#define STL_HDR_N_TENSORS 20u
#define STL_HDR_N_OPS 24u
#define STL_HDR_N_IO 28u
#define STL_HDR_N_INPUTS 32u
#define STL_HDR_N_OUTPUTS 36u
#define STL_HDR_ARENA_SIZE 40u
#define STL_HDR_WEIGHTS_OFFSET 44u
#define STL_HDR_WEIGHTS_SIZE 48u
#define STL_HDR_BODY_SIZE 52u
#define STL_HDR_BODY_SHA256 56u
#define STL_HDR_NONCE 88u
#define STL_HDR_TAG 100u
#define STL_HDR_KEY_ID 116u
#define STL_HDR_NAMES_SIZE 120u
#define STL_HDR_RESERVED 124u
#define STL_N_IATTR 12
#define STL_N_FATTR 4

/* A little-endian field of a .tzm (or sealed package) header, read byte by byte: the header of
 * an upload has no alignment guarantee. */
static inline uint16_t stl_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t stl_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum stl_kind { STL_KIND_ACT = 0, STL_KIND_CONST = 1 };

enum stl_op_type {
	STL_OP_CONV = 1,
	STL_OP_GEMM,
	STL_OP_MAXPOOL,
	STL_OP_AVGPOOL,
	STL_OP_GLOBAL_AVGPOOL,
	STL_OP_BINARY,
	STL_OP_UNARY,
	STL_OP_CONCAT,
	STL_OP_SOFTMAX,
	STL_OP_TRANSPOSE,
	STL_OP_PAD,
	STL_OP_RESHAPE,
	STL_OP_SLICE,
	STL_OP_RESIZE,
	STL_OP_REDUCE,
	STL_OP_MATMUL,
	STL_OP_TILE,
	STL_OP_WHERE,
	STL_OP_NORMALIZE,
	STL_OP_CONV_TRANSPOSE,
	STL_OP_PAD_EDGE,
	STL_OP_PAD_REFLECT,
	/* Quantised ops (format 2.1): operand dtypes and parameters in docs/model-format.md. */
	STL_OP_QUANTIZE,
	STL_OP_DEQUANTIZE,
	STL_OP_QCONV,
	STL_OP_QGEMM,
	STL_OP_QADD,
	STL_OP_QGLOBAL_AVGPOOL,
	STL_OP_LAST = STL_OP_QGLOBAL_AVGPOOL,
};

enum stl_act {
	STL_ACT_NONE = 0,
	STL_ACT_RELU,
	STL_ACT_CLIP,
	STL_ACT_LEAKY_RELU,
	STL_ACT_SIGMOID,
	STL_ACT_HARD_SIGMOID,
	STL_ACT_HARD_SWISH,
	STL_ACT_TANH,
	STL_ACT_EXP,
	STL_ACT_LOG,
	STL_ACT_SQRT,
	STL_ACT_ABS,
	STL_ACT_NEG,
	STL_ACT_RECIPROCAL,
	STL_ACT_ERF,
	STL_ACT_GELU,
	STL_ACT_GELU_TANH,
	STL_ACT_SOFTPLUS,
	STL_ACT_MISH,
	STL_ACT_NOT,
	STL_ACT_NONZERO,
	STL_ACT_SILU, /* x·sigmoid(x) */
	STL_ACT_LAST = STL_ACT_SILU,
};

enum stl_binary {
	STL_BIN_ADD = 0, STL_BIN_SUB, STL_BIN_MUL, STL_BIN_DIV, STL_BIN_PRELU,
	STL_BIN_POW, STL_BIN_MAX, STL_BIN_MIN,
	/* Comparisons and logic give 1.0 or 0.0 (booleans are stored as floats; nonzero is true). */
	STL_BIN_EQUAL, STL_BIN_LESS, STL_BIN_LESS_EQUAL, STL_BIN_GREATER, STL_BIN_GREATER_EQUAL,
	STL_BIN_AND, STL_BIN_OR, STL_BIN_XOR,
	STL_BIN_LAST = STL_BIN_XOR
};

/* REDUCE kinds (iattr[0]). */
enum stl_reduce {
	STL_RED_MEAN = 0, STL_RED_SUM, STL_RED_MAX, STL_RED_MIN, STL_RED_L2, STL_RED_PROD, STL_RED_L1,
	STL_RED_LOG_SUM_EXP, STL_RED_SUM_SQUARE, STL_RED_LOG_SUM,
	STL_RED_LAST = STL_RED_LOG_SUM
};

/* RESIZE iattr: 0 mode, 1 coordinate transformation, 2 nearest rounding; fattr[2], fattr[3] are
 * the height and width scales. */
enum stl_resize_mode { STL_RESIZE_NEAREST = 0, STL_RESIZE_LINEAR, STL_RESIZE_MODE_LAST = STL_RESIZE_LINEAR };
enum stl_resize_coord {
	STL_COORD_HALF_PIXEL = 0, STL_COORD_PYTORCH_HALF_PIXEL, STL_COORD_ALIGN_CORNERS, STL_COORD_ASYMMETRIC,
	STL_COORD_TF_HALF_PIXEL_FOR_NN, STL_COORD_HALF_PIXEL_SYMMETRIC,
	STL_COORD_LAST = STL_COORD_HALF_PIXEL_SYMMETRIC
};
enum stl_resize_round {
	STL_ROUND_PREFER_FLOOR = 0, STL_ROUND_PREFER_CEIL, STL_ROUND_FLOOR, STL_ROUND_CEIL,
	STL_ROUND_SIMPLE, /* Upsample and Resize-10: truncate when upsampling, ceil when downsampling */
	STL_ROUND_LAST = STL_ROUND_SIMPLE
};

/* CONV / pool iattr slots. */
enum {
	STL_A_KH = 0, STL_A_KW, STL_A_SH, STL_A_SW, STL_A_PT, STL_A_PL, STL_A_PB, STL_A_PR,
	STL_A_GROUP = 8, STL_A_DH = 9, STL_A_DW = 10,
	STL_A_COUNT_PAD = 8, /* AVGPOOL count_include_pad */
};

#endif
