/*
 * hcommon.h: what the handler files share: the domain context of a
 * request, and answering a domain error with its details.
 */
#ifndef IAM_HCOMMON_H
#define IAM_HCOMMON_H

#include "accounts.h"
#include "http.h"

/* Fills x for a call into the domain on behalf of r. */
void		 hc_actx(struct actx *x, struct req *r);
/*
 * Sets the answer for a domain error: the field for validation and token
 * errors, Retry-After for 429s.  Returns e.
 */
enum iam_err	 hc_fail(struct req *r, const struct actx *x, enum iam_err e);
/* Calls fn for the caller of r and answers 204, or fails as hc_fail. */
enum iam_err	 hc_empty(struct req *r, enum iam_err (*fn)(struct actx *));

#endif
