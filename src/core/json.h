/* core/json — small conveniences over jansson for reading API objects.
 *
 * Owns: no state. Getters return BORROWED pointers into the tree (valid while the tree lives);
 * paths are given as NULL-terminated lists of object keys:
 *   const char *name = mg_json_str(obj, "metadata", "name", NULL);
 * Thread-safe as long as nobody mutates the tree (cached objects are immutable). */
#ifndef MG_CORE_JSON_H
#define MG_CORE_JSON_H
#include <jansson.h>
#include <stdbool.h>

/* The value at the key path, or NULL when any step is missing or not an object. */
json_t *mg_json_get(const json_t *obj, ...) __attribute__((sentinel));
/* The string at the key path, or NULL when missing or not a string. */
const char *mg_json_str(const json_t *obj, ...) __attribute__((sentinel));
/* The integer at the key path, or dflt when missing or not an integer. */
long long mg_json_int(const json_t *obj, long long dflt, ...) __attribute__((sentinel));
/* The number (integer or real) at the key path, or dflt. */
double mg_json_num(const json_t *obj, double dflt, ...) __attribute__((sentinel));
/* The boolean at the key path, or dflt (an int: a bool before "..." would be promoted, and
 * va_start on it is undefined). */
bool mg_json_bool(const json_t *obj, int dflt, ...) __attribute__((sentinel));
/* Object at key of obj, created (empty object) when missing or not an object. Borrowed. */
json_t *mg_json_obj_ensure(json_t *obj, const char *key);

/* True when every member of `want` appears in `have` with an equal value: objects are compared
 * member by member recursively (extra members in `have` are ignored, e.g. server defaults);
 * arrays must have the same length and match element by element with the same rule; scalars
 * must be equal (integer 1 equals real 1.0). Used to decide whether a write is needed. */
bool mg_json_subset(const json_t *want, const json_t *have);

#endif
