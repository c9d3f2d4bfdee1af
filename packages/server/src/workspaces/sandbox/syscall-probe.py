# The attacker's side of the syscall-surface tests: run inside a workspace sandbox (python3, stdlib
# only). argv[1] is JSON {"calls": [{"name", "nr", "args"}], "clone": nr}. Prints one JSON line:
# per call "ok:<ret>" or the errno name, plus what development work needs (ptrace of a child, a pty,
# inotify, node, npm, git, python) and what kernel it sees.
import ctypes, errno, json, os, pty, select, signal, subprocess, sys, tempfile

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
spec = json.loads(sys.argv[1])
out = {"calls": {}, "dev": {}}


def raw(nr, args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    if r == -1:
        e = ctypes.get_errno()
        return errno.errorcode.get(e, str(e))
    return "ok:%d" % r


for call in spec["calls"]:
    out["calls"][call["name"]] = raw(call["nr"], call["args"])

# clone with a namespace flag (CLONE_NEWUTS | SIGCHLD): the child, if one is made, leaves at once.
ctypes.set_errno(0)
r = libc.syscall(ctypes.c_long(spec["clone"]), ctypes.c_long(0x04000000 | 17), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0))
if r == 0:
    os._exit(0)
if r > 0:
    os.waitpid(r, 0)
    out["calls"]["clone(CLONE_NEWUTS)"] = "ok:child"
else:
    out["calls"]["clone(CLONE_NEWUTS)"] = errno.errorcode.get(ctypes.get_errno(), "?")


def check(name, fn):
    try:
        out["dev"][name] = fn()
    except Exception as e:  # report, never crash the probe
        out["dev"][name] = "FAILED: %s" % e


def ptrace_child():
    # A debugger's first step: the child asks to be traced, stops, the parent sees it and continues it.
    pid = os.fork()
    if pid == 0:
        if libc.ptrace(0, 0, 0, 0) != 0:  # PTRACE_TRACEME
            os._exit(3)
        os.kill(os.getpid(), signal.SIGSTOP)
        os._exit(7)
    _, st = os.waitpid(pid, 0)
    if not os.WIFSTOPPED(st):
        return "not stopped: %d" % st
    if libc.ptrace(7, pid, 0, 0) != 0:  # PTRACE_CONT
        return "PTRACE_CONT failed: %d" % ctypes.get_errno()
    _, st = os.waitpid(pid, 0)
    return "ok" if os.WIFEXITED(st) and os.WEXITSTATUS(st) == 7 else "exit %d" % st


def a_pty():
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sh", ["sh", "-c", "tty; echo pty-ok"])
    data = b""
    # Read until the shell's answer (not until EOF: gVisor does not report EIO on a closed slave).
    while b"pty-ok" not in data:
        ready, _, _ = select.select([fd], [], [], 10)
        if not ready:
            break
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    text = data.decode(errors="replace")
    return "ok" if "pty-ok" in text and "/dev/pts/" in text else text


def inotify():
    d = tempfile.mkdtemp(dir="/workspace")
    fd = libc.inotify_init1(0o4000)  # IN_NONBLOCK
    if fd < 0:
        return "inotify_init1 errno %d" % ctypes.get_errno()
    if libc.inotify_add_watch(fd, d.encode(), 0x100) < 0:  # IN_CREATE
        return "add_watch errno %d" % ctypes.get_errno()
    open(os.path.join(d, "f"), "w").close()
    ev = os.read(fd, 4096)
    return "ok" if len(ev) >= 16 else "no event"


def run(cmd, cwd="/workspace"):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
    return r.stdout.strip() if r.returncode == 0 else "FAILED %d: %s" % (r.returncode, r.stderr.strip()[-300:])


def git():
    d = tempfile.mkdtemp(dir="/workspace")
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e")
    for cmd in (["git", "init", "-q"], ["sh", "-c", "echo hi > a.txt"], ["git", "add", "a.txt"], ["git", "commit", "-qm", "first"]):
        r = subprocess.run(cmd, cwd=d, capture_output=True, text=True, env=env, timeout=60)
        if r.returncode != 0:
            return "FAILED %s: %s" % (cmd, r.stderr.strip()[-300:])
    return run(["git", "log", "--format=%s"], cwd=d)


check("ptrace", ptrace_child)
check("pty", a_pty)
check("inotify", inotify)
check("node", lambda: run(["node", "-e", "console.log(6*7)"]))
check("npm", lambda: run(["npm", "--version"]))
check("git", git)
check("python", lambda: run([sys.executable, "-c", "print('py-ok')"]))
check("uname", lambda: run(["uname", "-a"]))
check("dmesg", lambda: run(["dmesg"])[:400])
status = open("/proc/self/status").read()
out["seccomp"] = next((l.split(":", 1)[1].strip() for l in status.splitlines() if l.startswith("Seccomp:")), None)
print(json.dumps(out))
