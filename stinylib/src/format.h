/* Numeric constants of the .tzm v1 format (docs/model-format.md); tzinfer/tzm.py mirrors them. */
#ifndef STL_FORMAT_H
#define STL_FORMAT_H

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "S-Tinylib maps the little-endian .tzm records in place; big-endian hosts are not supported"
#endif

#define STL_HEADER_SIZE 128u
#define STL_TENSOR_RECORD 40u
#define STL_OP_RECORD 80u
#define STL_ALIGN 16u
#define STL_MAX_COUNT 65535u   /* cap on n_tensors and n_ops: bounds the loader's work */
/* The plan check has no memory to keep live ranges in and costs O(n_tensors × (n_ops + n_io)); this
 * cap keeps a hostile file's load under a second (real models are below 2^22). */
#define STL_MAX_PLAN_WORK (1ull << 27)
#define STL_N_IATTR 12
#define STL_N_FATTR 4

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
	STL_OP_LAST = STL_OP_RESHAPE,
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
	STL_ACT_SILU,
	STL_ACT_GELU,
	STL_ACT_LAST = STL_ACT_GELU,
};

enum stl_binary { STL_BIN_ADD = 0, STL_BIN_SUB, STL_BIN_MUL, STL_BIN_DIV, STL_BIN_PRELU, STL_BIN_LAST = STL_BIN_PRELU };

/* CONV / pool iattr slots. */
enum {
	STL_A_KH = 0, STL_A_KW, STL_A_SH, STL_A_SW, STL_A_PT, STL_A_PL, STL_A_PB, STL_A_PR,
	STL_A_GROUP = 8, STL_A_DH = 9, STL_A_DW = 10,
	STL_A_COUNT_PAD = 8, /* AVGPOOL count_include_pad */
};

#endif
