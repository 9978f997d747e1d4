/* Class labels for the top-k listing: a text file with one label per line, line i = class i. */
#ifndef TZI_LABELS_H
#define TZI_LABELS_H

#include <stddef.h>

struct labels {
	char *text;     /* the file, with newlines replaced by NULs */
	char **line;    /* line[i] points into text */
	size_t count;
};

/* Load path; 0 on success, -1 with a diagnostic. */
int labels_load(const char *path, struct labels *out);

/* Label of class i, or NULL when there is none. */
const char *labels_get(const struct labels *l, size_t i);

void labels_free(struct labels *l);

#endif
