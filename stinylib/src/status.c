/* The names of the engine's statuses, apart from the loader so that libtzinfer can name the
 * statuses the TA reports without linking the engine. */
#include "stinylib.h"

const char *stl_status_name(enum stl_status s)
{
	static const char *const names[] = {
		"STL_OK", "STL_E_TRUNCATED", "STL_E_MAGIC", "STL_E_VERSION", "STL_E_FLAGS", "STL_E_RESERVED",
		"STL_E_INTEGRITY", "STL_E_TENSOR", "STL_E_OP", "STL_E_SHAPE", "STL_E_PLAN", "STL_E_ARG",
		"STL_E_CANCELLED",
	};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "STL_E_UNKNOWN";
}
