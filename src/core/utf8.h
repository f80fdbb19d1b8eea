/* core/utf8 — UTF-8 validity for text that crosses into JSON.
 *
 * jansson refuses a string that is not valid UTF-8 (json_string returns NULL and the member it
 * was meant for goes missing), and text cut to a fixed buffer by snprintf may end in the middle
 * of a character. These helpers find the valid part (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF) and trim a cut character, so such text stays JSON-safe.
 *
 * Owns: no state; pure functions, safe from any thread. */
#ifndef MG_CORE_UTF8_H
#define MG_CORE_UTF8_H
#include <stddef.h>

/* The length of the longest prefix of the n bytes at s that is valid UTF-8 (n when all is). */
size_t mg_utf8_valid_prefix(const char *s, size_t n);
/* Drops the incomplete character at the end of the NUL-terminated s, if any (what a truncating
 * snprintf leaves behind); a complete text is left as it is. */
void mg_utf8_trim(char *s);

#endif
