/***
 * @module pinanalytics.core
 */

/*
 * fs.c - the few file-system calls a credentials file needs that Lua's io
 * library lacks: its folder and file modes (stat, mkdir), a durable atomic
 * write (a private temporary file written and fsynced, renamed by the
 * caller, then the folder fsynced) and an advisory lock (flock) that
 * serialises the processes that refresh one account.
 *
 * Every argument is checked before a descriptor is opened; between open and
 * close nothing can raise (no Lua call that allocates), so a descriptor is
 * never lost to a Lua error: results are pushed after close. A failure
 * returns nil, message, errno; the message names the path and the call, and
 * never the data written. The Lock userdata is created closed (fd -1) before
 * its file is opened, and has one idempotent close for close, __gc and
 * __close.
 *
 * fs_hold_signals defers the signals that end a process politely (SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT) around the step that must not be cut in two:
 * from asking for a new refresh token to saving it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "pa.h"

#define PA_LOCK_MT "pinanalytics.Lock"

/* ---- results */

/* nil, "<what> <path>: <strerror>", errno. */
static int pa_fs_fail(lua_State *L, const char *what, const char *path, int err)
{
	lua_pushnil(L);
	lua_pushfstring(L, "%s %s: %s", what, path, strerror(err));
	lua_pushinteger(L, err);
	return 3;
}

/* A path argument: a string without NUL, at most PATH_MAX-ish bytes. */
static const char *pa_fs_path(lua_State *L, int idx, const char *fn)
{
	size_t len;
	const char *p = luaL_checklstring(L, idx, &len);
	if (len == 0 || len > 4000 || strlen(p) != len)
		luaL_error(L, "pinanalytics.core.%s: path must be a non-empty string of at most 4000 bytes without NUL", fn);
	return p;
}

/* A mode argument: 0..0777. */
static mode_t pa_fs_mode(lua_State *L, int idx, const char *fn)
{
	lua_Number m = luaL_checknumber(L, idx);
	if (!(m >= 0 && m <= 511) || m != (lua_Number)(int)m)
		luaL_error(L, "pinanalytics.core.%s: mode must be a whole number 0..511 (0777)", fn);
	return (mode_t)(int)m;
}

/* ---- stat, mkdir */

/***
 * What a path is, without following a symbolic link (lstat).
 * @function fs_stat
 * @string path
 * @treturn[1] table `{ type = "file" | "directory" | "link" | "other", mode = <permission bits, e.g. 384
 * for 0600>, owned = <owned by this process's effective user>, size = <bytes> }`
 * @treturn[2] nil
 * @treturn[2] string message naming the path
 * @treturn[2] int errno (2, ENOENT: it does not exist)
 */
int pa_fs_stat(lua_State *L)
{
	const char *path = pa_fs_path(L, 1, "fs_stat");
	struct stat st;
	const char *type;
	if (lstat(path, &st) != 0)
		return pa_fs_fail(L, "cannot stat", path, errno);
	if (S_ISREG(st.st_mode))
		type = "file";
	else if (S_ISDIR(st.st_mode))
		type = "directory";
	else if (S_ISLNK(st.st_mode))
		type = "link";
	else
		type = "other";
	lua_createtable(L, 0, 4);
	lua_pushstring(L, type);
	lua_setfield(L, -2, "type");
	lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
	lua_setfield(L, -2, "mode");
	lua_pushboolean(L, st.st_uid == geteuid());
	lua_setfield(L, -2, "owned");
	lua_pushnumber(L, (lua_Number)st.st_size);
	lua_setfield(L, -2, "size");
	return 1;
}

/***
 * Creates a folder with these permission bits (less the umask's).
 * @function fs_mkdir
 * @string path
 * @int mode e.g. 448 (0700)
 * @treturn[1] true
 * @treturn[2] nil
 * @treturn[2] string message naming the path
 * @treturn[2] int errno (17, EEXIST: something is there already)
 */
int pa_fs_mkdir(lua_State *L)
{
	const char *path = pa_fs_path(L, 1, "fs_mkdir");
	mode_t mode = pa_fs_mode(L, 2, "fs_mkdir");
	if (mkdir(path, mode) != 0)
		return pa_fs_fail(L, "cannot create the folder", path, errno);
	lua_pushboolean(L, 1);
	return 1;
}

/* ---- durable writes */

/* Writes all of buf to fd; 0 or an errno. */
static int pa_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/***
 * Writes data to a new file of its own, mode 0600, named `prefix` followed
 * by six random characters (mkstemp), in prefix's folder; then fsync and
 * close. The caller renames it over the file it replaces (rename is atomic)
 * and then syncs the folder (`fs_fsync_dir`). On failure nothing is left.
 * @function fs_write_temp
 * @string prefix e.g. "/home/me/.config/pinanalytics/credentials.json.tmp-"
 * @string data
 * @treturn[1] string the new file's path
 * @treturn[2] nil
 * @treturn[2] string message naming the file (never the data)
 * @treturn[2] int errno
 */
int pa_fs_write_temp(lua_State *L)
{
	const char *prefix = pa_fs_path(L, 1, "fs_write_temp");
	size_t plen = strlen(prefix), len;
	const char *data = luaL_checklstring(L, 2, &len);
	char *name;
	int fd, err;
	/* the name is a userdata: a raise frees it; no descriptor is open yet */
	name = (char *)lua_newuserdata(L, plen + 7);
	memcpy(name, prefix, plen);
	memcpy(name + plen, "XXXXXX", 7);
	fd = mkstemp(name); /* 0600, O_EXCL */
	if (fd < 0)
		return pa_fs_fail(L, "cannot create a temporary file beside", prefix, errno);
	err = pa_write_all(fd, data, len);
	if (!err && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (err) {
		unlink(name);
		return pa_fs_fail(L, "cannot write", name, err);
	}
	lua_pushstring(L, name);
	return 1;
}

/***
 * Flushes a folder's entries to the disk (after a rename in it, so that the
 * rename survives a power loss).
 * @function fs_fsync_dir
 * @string path the folder
 * @treturn[1] true
 * @treturn[2] nil
 * @treturn[2] string message naming the folder
 * @treturn[2] int errno
 */
int pa_fs_fsync_dir(lua_State *L)
{
	const char *path = pa_fs_path(L, 1, "fs_fsync_dir");
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;
	if (fd < 0)
		return pa_fs_fail(L, "cannot open the folder", path, errno);
	/* some file systems cannot sync a folder: that is not a failure */
	if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
		err = errno;
	close(fd);
	if (err)
		return pa_fs_fail(L, "cannot sync the folder", path, err);
	lua_pushboolean(L, 1);
	return 1;
}

/* ---- signals */

/* How many holds are open in this process, and the mask before the first. */
static int pa_signals_held;
static sigset_t pa_signals_saved;

/***
 * Holds (or lets go of) the signals that end a process politely: SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT. While held they wait; when the last hold is
 * let go, any that came meanwhile is delivered, as it would have been
 * (Ctrl-C then interrupts, SIGTERM then ends the process). Holds nest: each
 * `fs_hold_signals(true)` needs its `fs_hold_signals(false)`; a release with
 * none held is refused. SIGKILL cannot be held by any program.
 * @function fs_hold_signals
 * @bool hold true to hold, false to let go of one hold
 * @treturn[1] int the holds open after this call
 * @treturn[2] nil
 * @treturn[2] string message
 * @treturn[2] int errno
 */
int pa_fs_hold_signals(lua_State *L)
{
	int hold;
	luaL_checktype(L, 1, LUA_TBOOLEAN);
	hold = lua_toboolean(L, 1);
	if (hold) {
		if (pa_signals_held == 0) {
			sigset_t set;
			sigemptyset(&set);
			sigaddset(&set, SIGINT);
			sigaddset(&set, SIGTERM);
			sigaddset(&set, SIGHUP);
			sigaddset(&set, SIGQUIT);
			if (sigprocmask(SIG_BLOCK, &set, &pa_signals_saved) != 0)
				return pa_fs_fail(L, "cannot hold the signals of", "this process", errno);
		}
		pa_signals_held++;
	} else {
		if (pa_signals_held == 0)
			return luaL_error(L, "pinanalytics.core.fs_hold_signals: no hold to let go of");
		if (pa_signals_held == 1 && sigprocmask(SIG_SETMASK, &pa_signals_saved, NULL) != 0)
			return pa_fs_fail(L, "cannot let go of the signals of", "this process", errno);
		pa_signals_held--;
	}
	lua_pushinteger(L, pa_signals_held);
	return 1;
}

/* ---- Lock */

typedef struct {
	int fd;     /* -1 once closed */
	int locked; /* this handle holds the lock */
} pa_lock;

static pa_lock *pa_lock_check(lua_State *L, const char *fn)
{
	pa_lock *k = (pa_lock *)luaL_checkudata(L, 1, PA_LOCK_MT);
	if (k->fd < 0)
		luaL_error(L, "pinanalytics.core.Lock:%s: the lock is closed", fn);
	return k;
}

/***
 * A lock file (created 0600 when missing, never removed) whose exclusive
 * advisory lock (flock) one holder at a time may take: another process, or
 * another Lock on the same file in this process, waits for it. Closing the
 * Lock (or the process ending, however it ends) releases it.
 * @function fs_lock
 * @string path
 * @treturn[1] Lock
 * @treturn[2] nil
 * @treturn[2] string message naming the file
 * @treturn[2] int errno
 */
int pa_fs_lock(lua_State *L)
{
	const char *path = pa_fs_path(L, 1, "fs_lock");
	pa_lock *k = (pa_lock *)lua_newuserdata(L, sizeof(pa_lock));
	k->fd = -1;
	k->locked = 0;
	pa_setmetatable(L, PA_LOCK_MT);
	k->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (k->fd < 0)
		return pa_fs_fail(L, "cannot open the lock file", path, errno);
	return 1;
}

/***
 * A lock file's handle, made by `fs_lock`.
 * @type Lock
 */

/***
 * Takes the lock if no one holds it, without waiting.
 * @function Lock:try
 * @treturn[1] boolean true: taken (or already held by this Lock); false: someone else holds it
 * @treturn[2] nil
 * @treturn[2] string message
 * @treturn[2] int errno
 */
static int pa_lock_try(lua_State *L)
{
	pa_lock *k = pa_lock_check(L, "try");
	int err;
	if (k->locked) {
		lua_pushboolean(L, 1);
		return 1;
	}
	while (flock(k->fd, LOCK_EX | LOCK_NB) != 0) {
		err = errno;
		if (err == EINTR)
			continue;
		if (err == EWOULDBLOCK) {
			lua_pushboolean(L, 0);
			return 1;
		}
		return pa_fs_fail(L, "cannot lock", "the lock file", err);
	}
	k->locked = 1;
	lua_pushboolean(L, 1);
	return 1;
}

/***
 * Releases the lock (when held).
 * @function Lock:unlock
 */
static int pa_lock_unlock(lua_State *L)
{
	pa_lock *k = pa_lock_check(L, "unlock");
	if (k->locked) {
		flock(k->fd, LOCK_UN);
		k->locked = 0;
	}
	return 0;
}

/***
 * Releases the lock and closes the file. Idempotent; also when the Lock is
 * collected, and as a `<close>` variable.
 * @function Lock:close
 */
static int pa_lock_close(lua_State *L)
{
	pa_lock *k = (pa_lock *)luaL_checkudata(L, 1, PA_LOCK_MT);
	if (k->fd >= 0) {
		int fd = k->fd;
		k->fd = -1;
		k->locked = 0;
		close(fd); /* releases the flock */
	}
	return 0;
}

/***
 * Whether this Lock holds the lock.
 * @function Lock:held
 * @treturn boolean
 */
static int pa_lock_held(lua_State *L)
{
	pa_lock *k = (pa_lock *)luaL_checkudata(L, 1, PA_LOCK_MT);
	lua_pushboolean(L, k->fd >= 0 && k->locked);
	return 1;
}

static int pa_lock_tostring(lua_State *L)
{
	pa_lock *k = (pa_lock *)luaL_checkudata(L, 1, PA_LOCK_MT);
	lua_pushstring(L, k->fd < 0 ? "pinanalytics.Lock (closed)" : k->locked ? "pinanalytics.Lock (held)"
	                                                                       : "pinanalytics.Lock");
	return 1;
}

static const luaL_Reg pa_lock_methods[] = {
	{ "try", pa_lock_try },
	{ "unlock", pa_lock_unlock },
	{ "close", pa_lock_close },
	{ "held", pa_lock_held },
	{ NULL, NULL },
};

static const luaL_Reg pa_lock_meta[] = {
	{ "__gc", pa_lock_close },
	{ "__close", pa_lock_close },
	{ "__tostring", pa_lock_tostring },
	{ NULL, NULL },
};

void pa_fs_open(lua_State *L)
{
	pa_class(L, PA_LOCK_MT, pa_lock_meta, pa_lock_methods);
}
