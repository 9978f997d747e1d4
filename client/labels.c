#include "labels.h"

#include <stdint.h>
#include <stdlib.h>

#include "diag.h"
#include "file_io.h"

int labels_load(const char *path, struct labels *out)
{
	size_t len = 0, n = 0, i = 0;
	uint8_t *file = file_read_all(path, &len);
	char *text = NULL, *start = NULL;

	if (!file)
		return -1;
	/* One extra byte so that the last line is NUL-terminated too. */
	text = realloc(file, len + 1);
	if (!text) {
		free(file);
		diag_error("out of memory reading %s", path);
		return -1;
	}
	text[len] = '\0';
	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	out->line = calloc(n + 1, sizeof(*out->line));
	if (!out->line) {
		free(text);
		diag_error("out of memory reading %s", path);
		return -1;
	}
	out->text = text;
	out->count = 0;
	/* Every line is a label (empty ones too, so that indices stay right); strip CR of CRLF. */
	for (start = text, i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == text + len)
			break; /* the file ended with a newline */
		text[i] = '\0';
		if (i > 0 && text[i - 1] == '\r')
			text[i - 1] = '\0';
		out->line[out->count++] = start;
		start = text + i + 1;
	}
	return 0;
}

const char *labels_get(const struct labels *l, size_t i)
{
	return l && i < l->count ? l->line[i] : NULL;
}

void labels_free(struct labels *l)
{
	free(l->line);
	free(l->text);
	l->line = NULL;
	l->text = NULL;
	l->count = 0;
}
