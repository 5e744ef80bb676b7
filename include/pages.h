/*
 * pages.h: what the page handlers share (pages/pg_common.c): the scope
 * every page starts from, rendering with the pages' headers, the CSRF
 * value forms carry, redirects and return_to.
 */
#ifndef IAM_PAGES_H
#define IAM_PAGES_H

#include "errors.h"
#include "html.h"
#include "http.h"

struct actx;

/* A scope holding title, csrf (the form token; iam_csrf is set when
 * the browser has none), and who is signed in. */
struct tscope	*pg_scope(struct req *, const char *title);
/* Renders page with status and the pages' headers (CSP, frames, no
 * caching).  Always IAM_OK (a failed render answers 500). */
enum iam_err	 pg_render(struct req *, int status, const char *page,
		    struct tscope *);
/* 303 See Other to location (ours: a path or a checked return_to). */
enum iam_err	 pg_redirect(struct req *, const char *location);
/* The form's return_to when return_to_ok allows it, else NULL.  An
 * absolute one's origin joins the page's CSP form-action (browsers
 * apply it to the redirect that follows the POST). */
const char	*pg_return_to(struct req *, const char *v);
/*
 * Renders page again with the domain error e said on it (error, and
 * the field it is about as error_<field>): status from e, Retry-After
 * and the wait in words for 429s.
 */
enum iam_err	 pg_fail(struct req *, const struct actx *, enum iam_err e,
		    const char *page, struct tscope *);
/* The string member k of a domain document (NULL: o, or no string). */
const char	*pg_jstr(json_object *o, const char *k);
/* "14 minutes" for seconds, into the arena. */
const char	*pg_wait_words(struct req *, int64_t secs);

#endif
