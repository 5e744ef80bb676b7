/*
 * routes.c: the route table.  A route is public only if its entry says
 * R_PUBLIC; every route but those marked R_NORATE counts against RATE_MAX.
 */
#include "handlers.h"
#include "router.h"

const struct route routes[] = {
	{ M_GET, "/health", ops_health, R_PUBLIC | R_NORATE,
	  "Liveness: answers without touching the database" },
	{ M_GET, "/health/ready", ops_ready, R_PUBLIC | R_NORATE,
	  "Readiness: database and memcached reachable" },
	{ M_GET, "/metrics", ops_metrics, R_PUBLIC,
	  "Prometheus metrics (METRICS_TOKEN or METRICS_ALLOW)" },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
