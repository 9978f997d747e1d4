#include "topk.h"

void topk(const float *scores, size_t n, size_t *idx, size_t k)
{
	size_t filled = 0, i = 0, j = 0;

	/* Insertion into a sorted list of k: k is small (the --top option). */
	for (i = 0; i < n; i++) {
		if (filled == k && !(scores[i] > scores[idx[k - 1]]))
			continue;
		j = filled < k ? filled++ : k - 1;
		while (j > 0 && scores[i] > scores[idx[j - 1]]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
}
