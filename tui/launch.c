/* launch.c - fork, gate, exec with LD_PRELOAD, and report exec failure.
 *
 * The child is forked before the caller changes any signal handling, so it
 * keeps exactly the dispositions and mask leaktop was started with (a
 * program run under nohup still ignores SIGHUP). It then waits on a gate
 * pipe; once released it execs, and if exec fails it sends errno back over
 * a close-on-exec pipe: zero bytes read means the exec succeeded. */
#define _GNU_SOURCE
#include "launch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/shm.h"
#include "xalloc.h"

#ifndef LEAKTOP_PREFIX
#define LEAKTOP_PREFIX "/usr/local"
#endif

int launch_probe_path(char *out, size_t n)
{
	char exe[PATH_MAX], dir[PATH_MAX];
	if (!out || n == 0)
		return -1;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len > 0) {
		exe[len] = '\0';
		snprintf(dir, sizeof dir, "%s", dirname(exe));
		snprintf(out, n, "%s/libleaktop.so", dir);
		if (access(out, R_OK) == 0)
			return 0;
		snprintf(out, n, "%s/../lib/leaktop/libleaktop.so", dir);
		if (access(out, R_OK) == 0)
			return 0;
	}
	snprintf(out, n, "%s/lib/leaktop/libleaktop.so", LEAKTOP_PREFIX);
	return access(out, R_OK) == 0 ? 0 : -1;
}

static void set_env_u(const char *name, unsigned v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%u", v);
	setenv(name, buf, 1);
}

/* In the child: wait for the gate, set the environment, exec. Never returns. */
static void child(int gate, int errfd, char *const argv[], const struct launch_opts *o,
                  const char *probe, pid_t launcher)
{
	char c;
	ssize_t r;
	while ((r = read(gate, &c, 1)) < 0 && errno == EINTR)
		;
	if (r != 1)
		_exit(127); /* released never: leaktop gave up */
	close(gate);
	if (o->stdio_fd >= 0 && (dup2(o->stdio_fd, 1) < 0 || dup2(o->stdio_fd, 2) < 0))
		_exit(127);
	if (o->stdin_null) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(127);
		if (fd > 2)
			close(fd);
	}

	const char *old = getenv("LD_PRELOAD");
	if (old && *old) {
		size_t n = strlen(probe) + strlen(old) + 2;
		char *v = malloc(n);
		if (!v)
			_exit(127);
		snprintf(v, n, "%s:%s", probe, old);
		setenv("LD_PRELOAD", v, 1);
	} else {
		setenv("LD_PRELOAD", probe, 1);
	}
	set_env_u("LEAKTOP_LAUNCHER", (unsigned)launcher);
	if (o->interval_ms)
		set_env_u("LEAKTOP_INTERVAL", o->interval_ms);
	if (o->depth)
		set_env_u("LEAKTOP_DEPTH", o->depth);
	if (o->max_stacks)
		set_env_u("LEAKTOP_MAX_STACKS", o->max_stacks);
	/* Always set: a LEAKTOP_SAMPLE left in the environment must not
	 * sample a run that asked for every allocation. */
	set_env_u("LEAKTOP_SAMPLE", o->sample_bytes);
	if (o->follow_exec)
		setenv("LEAKTOP_FOLLOW_EXEC", "1", 1);
	execvp(argv[0], argv);
	int e = errno;
	if (write(errfd, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

int launch_prepare(struct launch *l, char *const argv[], const struct launch_opts *o, char *err,
                   size_t errlen)
{
	char probe[PATH_MAX];
	int gate[2], errp[2];

	if (launch_probe_path(probe, sizeof probe) < 0) {
		snprintf(err, errlen,
		         "cannot find libleaktop.so (looked next to leaktop and in %s/lib/leaktop)",
		         LEAKTOP_PREFIX);
		return -1;
	}
	if (pipe2(gate, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t launcher = getpid();
	fflush(NULL);
	l->pid = fork();
	if (l->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (l->pid == 0) {
		close(gate[1]);
		close(errp[0]);
		child(gate[0], errp[1], argv, o, probe, launcher);
	}
	close(gate[0]);
	close(errp[1]);
	l->gate_fd = gate[1];
	l->err_fd = errp[0];
	return 0;
}

int launch_go(struct launch *l, const char *program, char *err, size_t errlen)
{
	int e = 0;
	ssize_t n;

	if (write(l->gate_fd, "x", 1) != 1) {
		snprintf(err, errlen, "cannot release the child: %s", strerror(errno));
		close(l->gate_fd);
		launch_abort(l);
		return -1;
	}
	close(l->gate_fd);
	while ((n = read(l->err_fd, &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(l->err_fd);
	if (n == (ssize_t)sizeof e) {
		waitpid(l->pid, NULL, 0);
		snprintf(err, errlen, "cannot run '%s': %s", program, strerror(e));
		return -1;
	}
	return 0;
}

void launch_abort(struct launch *l)
{
	kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
}

void launch_gc_segments(void)
{
	DIR *d = opendir("/dev/shm");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		struct shm_reader r;
		const char *cause;
		if (strncmp(e->d_name, LT_SHM_PREFIX, strlen(LT_SHM_PREFIX)))
			continue;
		if (shm_reader_open(&r, e->d_name, &cause) < 0)
			continue;
		int ours = r.hdr.launcher_pid == getpid();
		int gone = kill(r.hdr.pid, 0) < 0 && errno == ESRCH;
		shm_reader_close(&r);
		if (ours && gone) {
			char name[sizeof e->d_name + 1];
			snprintf(name, sizeof name, "/%s", e->d_name);
			shm_unlink(name);
		}
	}
	closedir(d);
}
