/* The k highest scores of a model output, best first. */
#ifndef TZI_TOPK_H
#define TZI_TOPK_H

#include <stddef.h>

/* Fill idx[0..k) with the indices of the k largest scores (ties: lower index first);
 * k must be <= n. */
void topk(const float *scores, size_t n, size_t *idx, size_t k);

#endif
