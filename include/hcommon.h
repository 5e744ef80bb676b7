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

/*
 * The query string checked as q (a shape of the catalogue starting with
 * page and limit), its values in v; page (from 1) and limit (1-100,
 * default 50) into pg.  A bad one is answered (VALIDATION_ERROR naming
 * it) and its error returned.
 */
struct page {
	int64_t	 page, limit;
};
struct fspec;
enum iam_err	 hc_page(struct req *r, const struct fspec *q,
		    json_object **v, struct page *pg);
/* hc_page, then the page's limit and offset into lq. */
struct listq;
enum iam_err	 hc_listq(struct req *r, const struct fspec *q,
		    json_object **v, struct page *pg, struct listq *lq);
/* {"success":true,"data":items,"meta":{page,limit,total,pages}}, items
 * a JSON array as text. */
void		 hc_list(struct req *r, const struct page *pg,
		    const char *items, int64_t total);
/* A paged list of the caller's organisation (fs_page_query): fn fills
 * lq's items and total; answered as hc_list. */
enum iam_err	 hc_paged(struct req *r,
		    enum iam_err (*fn)(struct actx *, struct listq *));
/* The ":id" capture when it is a UUID, else NULL (answer 404). */
const char	*hc_uuid(struct req *r, const char *name);
/* Calls fn with the ":id" capture (a UUID, else 404) and answers 204. */
enum iam_err	 hc_id_action(struct req *r,
		    enum iam_err (*fn)(struct actx *, const char *));
/* VALIDATION_ERROR (answered) when the string v is present but empty. */
enum iam_err	 hc_nonempty(struct req *r, json_object *v, const char *name);
/* Answers *o with status when e is IAM_OK (o read after the call that
 * set it), else fails as hc_fail. */
enum iam_err	 hc_answer(struct req *r, struct actx *x, enum iam_err e,
		    json_object **o, int status);
/* Answers data (a borrowed arena object) with status. */
enum iam_err	 hc_data(struct req *r, int status, json_object *data);

/*
 * A checked F_STRINGS value as a list in the request's arena; NULL when
 * absent, or with *e IAM_E_INTERNAL when out of memory.
 */
struct strlist	*hc_strlist(struct req *, json_object *, enum iam_err *e);
/* A checked profile's values (fs_profile's order) as the domain's. */
struct profile_in;
void		 hc_profile(json_object *const *v, struct profile_in *);

#endif
