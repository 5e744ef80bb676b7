/*
 * log.h: one JSON object per line on stderr.  Values are escaped, so a
 * user-controlled string cannot forge a line.  Callers never pass secrets.
 */
#ifndef IAM_LOG_H
#define IAM_LOG_H

#include "conf.h"

void	 log_init(int level, const char *component);
void	 log_setlevel(int level);
/* Names the request being served (NULL: none) in every line until the
 * next call; rid must live that long. */
void	 log_request(const char *rid);
/*
 * Writes {"ts":..,"level":..,"component":..,"event":event,k1:v1,...}.
 * The variadic part is NULL-terminated pairs of strings; a NULL value is
 * written as null.
 */
/* The end of log_kv's pairs: a typed null, as variadic calls need. */
#define LOG_END	((const char *)NULL)

void	 log_kv(int level, const char *event, ...)
	    __attribute__((sentinel));
/* Writes a preformatted JSON object body (without braces) after the
 * common fields; used by the access log, which formats numbers itself. */
void	 log_raw(int level, const char *event, const char *fields,
	    size_t len);

#endif
