/*
 * export.c: the audit exporter (see export.h).  libcurl for HTTP.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "conf.h"
#include "export.h"
#include "log.h"
#include "store.h"
#include "store_audit.h"

#define MAX_BACKOFF_MS	60000

static size_t
discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

/* POSTs body; 0 on a 2xx answer, else -1 (logged). */
static int
post(CURL *c, const struct config *cfg, struct curl_slist *h,
    const char *body, size_t len)
{
	CURLcode	rc;
	long		status = 0;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, cfg->log_remote_url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	log_kv(LOG_WARN, "export.failed", "error", rc != CURLE_OK ?
	    curl_easy_strerror(rc) : "collector answered an error",
	    "status", status ? (status >= 500 ? "5xx" : "4xx") : "none",
	    LOG_END);
	return -1;
}

/*
 * Ships one batch: 1 shipped (more may wait), 0 nothing to ship, -1
 * failed.
 */
static int
batch(struct store *s, const struct config *cfg, CURL *c,
    struct curl_slist *h, long *shipped)
{
	struct arena		 a;
	struct audit_export	 ev;
	char			 lim[24], last[32];
	int			 n, rc = -1;

	if (store_audit_export_cursor(s, last, sizeof(last)) == -1)
		return -1;
	snprintf(lim, sizeof(lim), "%lld",
	    (long long)cfg->log_remote_batch_size);
	arena_init(&a, 0);
	if ((n = store_audit_export_batch(s, &a, last, lim, &ev)) <= 0) {
		arena_free(&a);
		return n;
	}
	if (post(c, cfg, h, ev.body, ev.len) == 0 &&
	    store_audit_export_advance(s, ev.last) == 0) {
		*shipped += n;
		rc = 1;
	}
	arena_free(&a);
	return rc;
}

/* Sleeps ms, in slices, returning early once *stop is set. */
static void
sleep_ms(long ms, volatile sig_atomic_t *stop)
{
	struct timespec	t;
	long		slice;

	while (ms > 0 && (stop == NULL || !*stop)) {
		slice = ms > 100 ? 100 : ms;
		t.tv_sec = 0;
		t.tv_nsec = slice * 1000000L;
		(void)nanosleep(&t, NULL);
		ms -= slice;
	}
}

int
export_run(struct store *s, const struct config *cfg, int follow,
    volatile sig_atomic_t *stop, long *shipped)
{
	struct curl_slist	*h = NULL;
	CURL			*c;
	char			*auth = NULL;
	long			 backoff = 0;
	int			 rc = 0, got;

	*shipped = 0;
	if (cfg->log_remote_url[0] == '\0')
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c = curl_easy_init()) == NULL)
		return -1;
	h = curl_slist_append(h, "Content-Type: application/json");
	if (cfg->log_remote_api_key[0] != '\0' &&
	    asprintf(&auth, "Authorization: Bearer %s",
	    cfg->log_remote_api_key) != -1)
		h = curl_slist_append(h, auth);
	for (;;) {
		if (stop != NULL && *stop)
			break;
		got = batch(s, cfg, c, h, shipped);
		if (got == 1) {
			backoff = 0;
			continue;
		}
		if (got == -1 && !follow) {
			rc = -1;
			break;
		}
		if (!follow)
			break;
		if (got == -1)
			backoff = backoff ? backoff * 2 :
			    (long)cfg->log_remote_flush_ms;
		if (backoff > MAX_BACKOFF_MS)
			backoff = MAX_BACKOFF_MS;
		sleep_ms(got == -1 ? backoff : (long)cfg->log_remote_flush_ms,
		    stop);
	}
	curl_slist_free_all(h);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return rc;
}
