/*
 * rpc.c - the RPC transport's vocabulary (rpc.h): status names and
 * endpoints ("127.0.0.1:7101", "[::1]:7101", "unix:/run/cend.sock").
 *
 * Endpoints are literal addresses, never names to look up: an operator's
 * typo fails here with a message that says which form to write, not later
 * as an unreachable peer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "proto/rpc.h"

#define EP_FORMS "write HOST:PORT, [IPv6]:PORT or unix:/path"

const char *
rpc_status_str(rpc_status s)
{
	switch (s) {
	case RPC_OK:
		return "OK";
	case RPC_INVALID_ARGUMENT:
		return "INVALID_ARGUMENT";
	case RPC_NOT_FOUND:
		return "NOT_FOUND";
	case RPC_ALREADY_EXISTS:
		return "ALREADY_EXISTS";
	case RPC_FAILED_PRECONDITION:
		return "FAILED_PRECONDITION";
	case RPC_UNIMPLEMENTED:
		return "UNIMPLEMENTED";
	case RPC_UNAVAILABLE:
		return "UNAVAILABLE";
	case RPC_DEADLINE_EXCEEDED:
		return "DEADLINE_EXCEEDED";
	case RPC_INTERNAL:
		return "INTERNAL";
	case RPC_NOT_LEADER:
		return "NOT_LEADER";
	case RPC_CANCELLED:
		return "CANCELLED";
	default:
		return "UNKNOWN";
	}
}

/* ---- endpoints --------------------------------------------------------- */

static int
parse_unix(struct rpc_endpoint *ep, const char *s, const char *path,
	   struct cen_err *err)
{
	size_t n = strlen(path);

	if (n == 0)
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": socket path missing (write "
				"unix:/path/to/socket)",
				s);
	if (n >= sizeof(ep->path) ||
	    n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": socket path of %zu bytes too "
				"long (at most %zu)",
				s, n, sizeof(ep->path) - 1);
	ep->unix_socket = true;
	memcpy(ep->path, path, n + 1);
	return 0;
}

/* "7101" -> 7101; digits only, 1..65535 (0 too when allow0). */
static int
parse_port(const char *s, const char *p, bool allow0, uint16_t *port,
	   struct cen_err *err)
{
	unsigned long v = 0;
	const char *q;

	if (*p == '\0')
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": port missing (" EP_FORMS ")",
				s);
	for (q = p; *q != '\0'; q++) {
		if (*q < '0' || *q > '9')
			return cen_errf(err, -CEN_EINVAL,
					"endpoint \"%s\": port \"%s\" is not a "
					"number",
					s, p);
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v > 65535 || (v == 0 && !allow0))
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": port %s out of range "
				"%u..65535",
				s, p, allow0 ? 0u : 1u);
	*port = (uint16_t)v;
	return 0;
}

static int
parse_v6(struct rpc_endpoint *ep, const char *s, bool allow0,
	 struct cen_err *err)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep->sa;
	char host[INET6_ADDRSTRLEN];
	const char *end = strchr(s, ']');
	size_t n;
	uint16_t port;
	int rc;

	if (end == NULL)
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": ']' missing after the IPv6 "
				"address",
				s);
	n = (size_t)(end - (s + 1));
	if (n == 0 || n >= sizeof(host))
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": not an IPv6 address between "
				"the brackets",
				s);
	memcpy(host, s + 1, n);
	host[n] = '\0';
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": \"%s\" is not an IPv6 "
				"address",
				s, host);
	if (end[1] != ':')
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": port missing (" EP_FORMS ")",
				s);
	if ((rc = parse_port(s, end + 2, allow0, &port, err)) != 0)
		return rc;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	ep->salen = sizeof(*sin6);
	return 0;
}

static int
parse_v4(struct rpc_endpoint *ep, const char *s, bool allow0,
	 struct cen_err *err)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ep->sa;
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	size_t n;
	uint16_t port;
	int rc;

	if (colon == NULL)
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": port missing (" EP_FORMS ")",
				s);
	if (strchr(s, ':') != colon)
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": put an IPv6 address in "
				"brackets ([::1]:7101)",
				s);
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(host))
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": address missing or not an "
				"IPv4 address (" EP_FORMS ")",
				s);
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return cen_errf(err, -CEN_EINVAL,
				"endpoint \"%s\": \"%s\" is not an IPv4 "
				"address (" EP_FORMS "; names are not looked "
				"up)",
				s, host);
	if ((rc = parse_port(s, colon + 1, allow0, &port, err)) != 0)
		return rc;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ep->salen = sizeof(*sin);
	return 0;
}

static int
endpoint_parse(struct rpc_endpoint *ep, const char *s, bool allow0,
	       struct cen_err *err)
{
	memset(ep, 0, sizeof(*ep));
	if (s == NULL || *s == '\0')
		return cen_errf(err, -CEN_EINVAL,
				"endpoint missing (" EP_FORMS ")");
	if (strncmp(s, "unix:", 5) == 0)
		return parse_unix(ep, s, s + 5, err);
	if (s[0] == '[')
		return parse_v6(ep, s, allow0, err);
	return parse_v4(ep, s, allow0, err);
}

int
rpc_endpoint_parse(struct rpc_endpoint *ep, const char *s, struct cen_err *err)
{
	return endpoint_parse(ep, s, false, err);
}

int
rpc_endpoint_parse_listen(struct rpc_endpoint *ep, const char *s,
			  struct cen_err *err)
{
	return endpoint_parse(ep, s, true, err);
}
