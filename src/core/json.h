/* core/json — small conveniences over jansson for reading API objects and building documents.
 *
 * Owns: no state. Getters return BORROWED pointers into the tree (valid while the tree lives);
 * paths are given as NULL-terminated lists of object keys:
 *   const char *name = mg_json_str(obj, "metadata", "name", NULL);
 * Thread-safe as long as nobody mutates the tree (cached objects are immutable).
 *
 * Building never fails for lack of memory: mg_mem_init has jansson allocate through
 * mg_xmalloc, which aborts (core/mem). So json_object(), json_array(), json_integer(),
 * json_true() and the like never return NULL, and json_object_set_new() and
 * json_array_append_new() of a non-NULL value onto an object or array never fail. What jansson
 * still refuses is a value that is not one — json_string() of NULL or of bytes that are not
 * UTF-8, json_real() of NaN or an infinity, json_pack() with a NULL "s" or "o" argument or a
 * string that is not UTF-8 — and the member meant for it then goes missing without a word. The
 * rule here: nothing handed to those calls can be NULL. A member that may be absent is set with
 * mg_json_set_str / mg_json_set_opt (or json_pack's "s?", "s*", "o?", "o*"), text from outside
 * becomes a string with mg_json_bytes, a computed double a member with mg_json_set_real. */
#ifndef MG_CORE_JSON_H
#define MG_CORE_JSON_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

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

/* A JSON string of the n bytes at p: valid UTF-8 is kept, each byte of anything else becomes
 * U+FFFD, so outside text stays readable instead of vanishing. Never NULL. New reference. */
json_t *mg_json_bytes(const char *p, size_t n);
/* obj[key] = the string s (through mg_json_bytes); nothing when s is NULL. */
void mg_json_set_str(json_t *obj, const char *key, const char *s);
/* obj[key] = a new reference to v; nothing when v is NULL or JSON null. */
void mg_json_set_opt(json_t *obj, const char *key, const json_t *v);
/* obj[key] = the number x; nothing when x is NaN or infinite (JSON has neither: the figure is
 * absent, as one that could not be computed). */
void mg_json_set_real(json_t *obj, const char *key, double x);

/* True when every member of `want` appears in `have` with an equal value: objects are compared
 * member by member recursively (extra members in `have` are ignored, e.g. server defaults);
 * arrays must have the same length and match element by element with the same rule; scalars
 * must be equal (integer 1 equals real 1.0). Used to decide whether a write is needed. */
bool mg_json_subset(const json_t *want, const json_t *have);

#endif
