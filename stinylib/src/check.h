/* Shared by the loader's stages (load.c, graph_io.c, opcheck.c, plan.c). */
#ifndef STL_CHECK_H
#define STL_CHECK_H

#include "stinylib.h"

/* Record a failure in m->error and return its status. reason must be a static string. */
enum stl_status stl_fail(struct stl_model *m, enum stl_status s, const char *reason, int64_t op,
			 int64_t tensor);

/* Tensor index of io entry i of op (the loader checked io_first + i is in range). */
static inline uint32_t stl_io(const struct stl_model *m, const struct stl_op *op, unsigned i)
{
	return m->io[op->io_first + i];
}

/* Stage 2b: the input/output bindings and their names (names_size: bytes of the names section). */
enum stl_status stl_check_graph_io(struct stl_model *m, uint64_t names_size);
/* Whether tensor t is a model input (output); valid once stl_check_graph_io passed. */
int stl_is_input(const struct stl_model *m, uint32_t t);
int stl_is_output(const struct stl_model *m, uint32_t t);

/* Stage 3: arity, attributes and the shapes each op implies. */
enum stl_status stl_check_ops(struct stl_model *m);
/* Stage 4: the memory plan (who writes what, live ranges, bounds, overlaps). */
enum stl_status stl_check_plan(struct stl_model *m);

#endif
