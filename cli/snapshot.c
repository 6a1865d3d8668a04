/*
 * snapshot.c - `snapshot save FILE` (the applied state of a node, streamed
 * by Admin/SnapshotSave into FILE.part, synced, then renamed to FILE, so a
 * FILE that exists is whole), `snapshot status FILE` and, offline as
 * etcdutl does, `snapshot restore FILE --data-dir DIR` (writes the image
 * into a new node data directory through the LMDB state store,
 * consensus/store.h).
 *
 * restore and the applied index in status need the store library
 * (cenconsensus); a cenctl built without it (CENCTL_HAVE_STORE undefined)
 * says so and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/cenctl.h"
#include "proto/admin.pb-c.h"
#ifdef CENCTL_HAVE_STORE
#include "consensus/store.h"
#endif

#define SNAPSHOT_FILE_MAX (64ull << 30) /* what restore reads into memory */

struct save {
	int fd;
	const char *part;
	uint64_t bytes;
	uint64_t applied_index;
	struct cen_err *err;
};

static int
save_chunk(const ProtobufCMessage *msg, void *arg)
{
	const Cend__V1__SnapshotChunk *c = (const Cend__V1__SnapshotChunk *)msg;
	struct save *s = arg;
	size_t off = 0;

	if (c->applied_index > s->applied_index)
		s->applied_index = c->applied_index;
	while (off < c->data.len) {
		ssize_t w = write(s->fd, c->data.data + off, c->data.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			cen_errf(s->err, -CEN_EIO, "%s: %s", s->part,
				 strerror(errno));
			return 1;
		}
		off += (size_t)w;
	}
	s->bytes += c->data.len;
	return 0;
}

static int
snapshot_save(struct cenctl *ctl, struct opts *o, const void *data)
{
	Cend__V1__SnapshotSaveRequest req =
		CEND__V1__SNAPSHOT_SAVE_REQUEST__INIT;
	struct cen_err err = { 0 };
	const char *file = NULL;
	struct save s = { .fd = -1, .err = &err };
	char *part;
	int rc;

	while (opts_next(o)) {
		if (opts_help(o) || opts_arg(o, file == NULL ? &file : NULL))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (file == NULL)
		return opts_error(o, "FILE is required");
	part = malloc(strlen(file) + sizeof(".part"));
	if (part == NULL) {
		cen_errf(&err, -CEN_ENOMEM, "out of memory");
		return cenctl_fail(&err);
	}
	sprintf(part, "%s.part", file);
	s.part = part;
	s.fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s.fd < 0) {
		cen_errf(&err, -CEN_EIO, "%s: %s", part, strerror(errno));
		free(part);
		return cenctl_fail(&err);
	}
	rc = cenctl_stream(ctl, CENCTL_ADMIN("SnapshotSave"), &req.base,
			   &cend__v1__snapshot_chunk__descriptor,
			   ctl->timeout_ms, save_chunk, &s, &err);
	if (rc == 0 && s.bytes == 0)
		rc = cen_errf(&err, -CEN_EPROTO,
			      "the server sent an empty snapshot");
	if (rc == 0 && fsync(s.fd) != 0)
		rc = cen_errf(&err, -CEN_EIO, "%s: %s", part, strerror(errno));
	if (close(s.fd) != 0 && rc == 0)
		rc = cen_errf(&err, -CEN_EIO, "%s: %s", part, strerror(errno));
	if (rc == 0 && rename(part, file) != 0)
		rc = cen_errf(&err, -CEN_EIO, "%s: %s", file, strerror(errno));
	if (rc != 0) {
		unlink(part);
		free(part);
		return cenctl_fail(&err);
	}
	free(part);
	if (ctl->json) {
		printf("{\"file\":");
		json_str(file);
		printf(",\"bytes\":%llu,\"applied_index\":%llu}\n",
		       (unsigned long long)s.bytes,
		       (unsigned long long)s.applied_index);
	} else {
		char b[32];

		printf("Snapshot saved at %s (%s, applied index %llu)\n", file,
		       table_bytes(s.bytes, b, sizeof(b)),
		       (unsigned long long)s.applied_index);
	}
	return 0;
}

/* Reads a whole file into a malloc'd buffer. */
static int
read_file(const char *path, uint8_t **buf, size_t *len, struct cen_err *err)
{
	struct stat sb;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*buf = NULL;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		cen_errf(err, -CEN_EIO, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -CEN_EIO;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > SNAPSHOT_FILE_MAX) {
		close(fd);
		return cen_errf(err, -CEN_EINVAL,
				"%s: not a regular file of at most 64 GiB",
				path);
	}
	*len = (size_t)sb.st_size;
	*buf = malloc(*len > 0 ? *len : 1);
	if (*buf == NULL) {
		close(fd);
		return cen_errf(err, -CEN_ENOMEM, "%s: out of memory", path);
	}
	while (off < *len) {
		ssize_t r = read(fd, *buf + off, *len - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			cen_errf(err, -CEN_EIO, "%s: %s", path,
				 r < 0 ? strerror(errno) : "file shrank");
			close(fd);
			free(*buf);
			*buf = NULL;
			return -CEN_EIO;
		}
		off += (size_t)r;
	}
	close(fd);
	return 0;
}

static int
snapshot_status(struct cenctl *ctl, struct opts *o, const void *data)
{
	struct cen_err err = { 0 };
	const char *file = NULL;
	uint8_t *buf;
	size_t len = 0;
	uint64_t hash, index = 0;

	while (opts_next(o)) {
		if (opts_help(o) || opts_arg(o, file == NULL ? &file : NULL))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (file == NULL)
		return opts_error(o, "FILE is required");
	if (read_file(file, &buf, &len, &err) != 0)
		return cenctl_fail(&err);
	hash = XXH3_64bits(buf, len);
#ifdef CENCTL_HAVE_STORE
	index = store_image_index(buf, len);
	if (index == 0) {
		free(buf);
		cen_errf(&err, -CEN_EPARSE,
			 "%s: not a cend snapshot (corrupt, truncated, or of "
			 "an empty store)",
			 file);
		return cenctl_fail(&err);
	}
#endif
	free(buf);
	if (ctl->json) {
		printf("{\"file\":");
		json_str(file);
		printf(",\"bytes\":%zu,\"hash\":\"%016llx\"", len,
		       (unsigned long long)hash);
		if (index != 0)
			printf(",\"applied_index\":%llu",
			       (unsigned long long)index);
		printf("}\n");
	} else {
		static const char *const hdr[] = { "HASH", "APPLIED INDEX",
						   "SIZE" };
		struct table t;
		char b[32];

		table_init(&t, 3, hdr);
		table_cellf(&t, "%016llx", (unsigned long long)hash);
		if (index != 0)
			table_cell_u64(&t, index);
		else
			table_cell(&t, "(unknown: built without the store)");
		table_cell(&t, table_bytes(len, b, sizeof(b)));
		table_print(&t);
		table_free(&t);
	}
	return 0;
}

#ifdef CENCTL_HAVE_STORE
/* Writes an image into a new data directory: DIR/state must not exist
 * yet, so a live node's state is never overwritten. */
static int
restore_dir(const char *dir, const uint8_t *buf, size_t len,
	    struct cen_err *err)
{
	struct store *st;
	struct stat sb;
	char *state;
	int rc;

	state = malloc(strlen(dir) + sizeof("/state"));
	if (state == NULL)
		return cen_errf(err, -CEN_ENOMEM, "out of memory");
	sprintf(state, "%s/state", dir);
	rc = stat(state, &sb);
	free(state);
	if (rc == 0)
		return cen_errf(err, -CEN_EEXIST,
				"%s/state already exists: restore into a new "
				"--data-dir (a node's data directory is "
				"never overwritten)",
				dir);
	rc = store_open(dir, 0, &st, err);
	if (rc != 0)
		return rc;
	rc = store_restore(st, buf, len, err);
	if (rc == 0) {
		struct store_txn *t;

		/* the restored node starts a new Raft log (etcdutl's
		 * semantics): its entries count from 1 again, so the store
		 * must not skip them as already applied */
		rc = store_txn_begin(st, &t);
		if (rc == 0)
			rc = store_txn_commit(t, 0, 0);
		if (rc != 0)
			cen_errf(err, rc, "cannot reset the applied index: %s",
				 store_errmsg(st));
	}
	store_close(st);
	return rc;
}
#endif

static int
snapshot_restore(struct cenctl *ctl, struct opts *o, const void *data)
{
	struct cen_err err = { 0 };
	const char *file = NULL, *dir = NULL;

	while (opts_next(o)) {
		if (opts_help(o) || opts_str(o, "--data-dir", &dir) ||
		    opts_arg(o, file == NULL ? &file : NULL))
			continue;
		opts_unknown(o);
	}
	if (o->done)
		return o->rc;
	if (file == NULL)
		return opts_error(o, "FILE is required");
	if (dir == NULL || dir[0] == '\0')
		return opts_error(o, "--data-dir DIR is required");
#ifdef CENCTL_HAVE_STORE
	uint8_t *buf;
	size_t len = 0;
	uint64_t index;
	int rc;

	if (read_file(file, &buf, &len, &err) != 0)
		return cenctl_fail(&err);
	index = store_image_index(buf, len);
	if (index == 0) {
		free(buf);
		cen_errf(&err, -CEN_EPARSE,
			 "%s: not a cend snapshot (corrupt, truncated, or of "
			 "an empty store)",
			 file);
		return cenctl_fail(&err);
	}
	rc = restore_dir(dir, buf, len, &err);
	free(buf);
	if (rc != 0) {
		cen_err_prefix(&err, "restore %s into %s: ", file, dir);
		return cenctl_fail(&err);
	}
	if (ctl->json) {
		printf("{\"file\":");
		json_str(file);
		printf(",\"data_dir\":");
		json_str(dir);
		printf(",\"applied_index\":%llu}\n", (unsigned long long)index);
	} else {
		printf("Restored %s (applied index %llu) into %s\n", file,
		       (unsigned long long)index, dir);
	}
	return 0;
#else
	cen_errf(&err, -CEN_EINVAL,
		 "snapshot restore is not available: this cenctl was built "
		 "without the state store (consensus/store.c, library "
		 "cenconsensus)");
	return cenctl_fail(&err);
#endif
}

static const struct opts_verb snapshot_verbs[] = {
	{ "save",
	  "usage: cenctl snapshot save FILE\n\n"
	  "Saves the applied state of the first endpoint that answers to "
	  "FILE (written\nto FILE.part first, then renamed, so FILE is "
	  "always whole).\n",
	  snapshot_save },
	{ "restore",
	  "usage: cenctl snapshot restore FILE --data-dir DIR\n\n"
	  "Offline: writes the state saved in FILE into a new node data "
	  "directory DIR\n(DIR/state must not exist).  Start the node on "
	  "DIR afterwards.\n",
	  snapshot_restore },
	{ "status",
	  "usage: cenctl snapshot status FILE\n\n"
	  "Offline: prints a snapshot file's hash, applied index and "
	  "size.\n",
	  snapshot_status },
};

int
cenctl_snapshot(struct cenctl *ctl, int argc, char **argv)
{
	return opts_dispatch(ctl, "snapshot", snapshot_verbs,
			     sizeof(snapshot_verbs) / sizeof(snapshot_verbs[0]),
			     NULL, argc, argv);
}
