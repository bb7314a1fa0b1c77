"""Where the judged program runs: Linux namespaces that leave it nothing of the gate to touch.

The program a pull request brings is untrusted (issue 11, "Integrity"). It must only be able to
*register* resources with the gate's monitor. Run as a plain child process of the same user, it
could also (1) connect to a policy pack's loopback port and send `Configure` to disable policies,
(2) rewrite files the gate or a pack reads later (kit modules, data, `.pyc` caches, site-packages),
(3) recognise the gate and register clean resources only there, and (4) leave a child behind that
acts once the program "ended". The sandbox closes each, with the kernel's own mechanisms
(namespaces(7), user_namespaces(7), pid_namespaces(7), mount_namespaces(7)):

* **network namespace** (empty, loopback down): the packs' TCP ports do not exist for the program;
  it reaches the monitor only through the unix-domain socket bind-mounted into its view;
* **mount namespace**: every mount read-only (remounted one by one, and checked), `/tmp` and
  `/dev/shm` fresh tmpfs, one writable run directory (the monitor socket, the language host
  script, the failure note). A second, nested user namespace owns the program's mount namespace,
  so the read-only mounts are *locked* (mount_namespaces(7), "Restrictions on mount namespaces"):
  even as root of its own namespace the program cannot remount them writable or unmount them;
* **pid namespace**: the program sees only its own processes (it cannot signal or find the gate
  or the packs), and when the namespace's init exits (right after the program) the kernel kills
  every process left in it: nothing outlives the run;
* `ulimit -f`: no file it writes (its tmpfs, its stdout) grows past `MAX_FILE_BYTES`;
* **writable as at `pulumi up`** (red19 r19-6, cloaking): the directories a deploy runner gives the program to write
  (the project's checkout, its home), when the caller can write them, are shown writable through an overlay whose
  upper layer is on one throwaway tmpfs of `TMPFS_SIZE` detached from every path (the writes reach neither the real
  checkout nor anything the gate reads, and vanish with the run); the home, when it has no `.pulumi`, shows the
  Pulumi CLI's (`.pulumi/plugins/resource-PKG-vX.Y.Z` for each installed provider SDK, `.pulumi/bin/pulumi`, that
  folder then last on the program's PATH when no `pulumi` is on it) in that layer, each binary executable and of a
  typical release size (cli_home_sizes.yaml), sparse: an ELF magic, then a hole that costs the tmpfs nothing. Where the
  kernel refuses an overlay the directory stays read-only (a tell, never a failure).

It needs util-linux `unshare` and unprivileged user namespaces (most Linux CI runners, GitHub's
ubuntu images included). Where they are missing, `probe()` says why; the gate then runs the
program unsandboxed with a one-line warning and its fallback defences (`runner`: judge only
after every process of the run is gone, with the trusted config sent again), or refuses to run
at all under `--require-sandbox`.
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SANDBOX_ENV = "AGENTID_PREVIEW_SANDBOX"  # "off": run unsandboxed (tests of the fallback); anything else: auto
MAX_FILE_BYTES = 256 * 1024 * 1024  # any one file the program writes (RLIMIT_FSIZE), its stdout and stderr included
TMPFS_SIZE = "256m"  # the program's /tmp and /dev/shm
# Files and directories on each of them: a tmpfs counts inodes apart from its size, and each costs the kernel ~1 KiB
# unbounded by `size` (tmpfs(5), nr_inodes: default half the RAM's pages), so a program making millions of empty files
# would fill the machine's memory, not its tmpfs
TMPFS_INODES = 65_536
SETUP_FAILED = 121  # the namespace's init could not build the view: no run, never a fallback


@dataclass(frozen=True)
class Isolation:
    """How the program of one run is isolated: `sandboxed`, or why not."""

    sandboxed: bool
    reason: str = ""  # why not, when not

    @property
    def warning(self) -> str | None:
        if self.sandboxed:
            return None
        return (f"agentid preview: the program runs WITHOUT a sandbox ({self.reason}); it can write files "
                "as this user. Use --require-sandbox in CI to refuse such runs")


def isolation() -> Isolation:
    """The isolation this machine gives (probed once per process, about 0.1 s)."""
    if os.environ.get(SANDBOX_ENV, "").lower() == "off":
        return Isolation(False, f"{SANDBOX_ENV}=off")
    problem = probe()
    return Isolation(True) if problem is None else Isolation(False, problem)


@functools.cache
def probe() -> str | None:
    """None when the sandbox can be built here, else one line saying why not."""
    if not Path("/proc/self/ns/user").exists():
        return "this system has no Linux namespaces"
    unshare = shutil.which("unshare")
    if unshare is None:
        return "util-linux `unshare` is not installed"
    script = f"mount -o remount,ro,bind / && exec {_inner_unshare(unshare)} true"
    try:
        completed = subprocess.run([*_outer_unshare(unshare), "sh", "-c", script], stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`unshare` did not run: {error}"
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no message"])[-1]
        return f"user, network, pid and mount namespaces are not available to this user: {last}"
    return None


@dataclass(frozen=True)
class Writable:
    """What the program may write as at `pulumi up`, each write landing in a throwaway layer (red19 r19-6).

    `dirs`: directories shown writable through an overlay (none nested in another); `home`: the one of them that is
    the home, where a Pulumi CLI home (`.pulumi/plugins/...`) is shown when the real one has none; `plugins`: the
    plugin folder names shown there (`resource-aws-v7.51.0`)."""

    dirs: tuple[str, ...] = ()
    home: str = ""
    plugins: tuple[str, ...] = ()

    @property
    def cli_bin(self) -> str | None:
        """The Pulumi CLI's folder shown in the home's layer (`~/.pulumi/bin`, with `pulumi` and
        `pulumi-language-python` executables of a typical size, sparse (`cli_files`), as the CLI's installer leaves them), or None where the real home has a
        `.pulumi` of its own (then nothing is shown there) or no home is shown."""
        if not self.home or os.path.lexists(os.path.join(self.home, ".pulumi")):
            return None
        return os.path.join(self.home, ".pulumi", "bin")


_PLAIN_PATH = re.compile(r"/[^\s,:\\\x00-\x1f]*")  # an overlay's mount options cannot carry , : \\ or blanks
_PLUGIN_NAME = re.compile(r"resource-[a-z0-9][a-z0-9_.-]*-v[0-9][0-9A-Za-z.+-]*")
# Folders never shown writable, whatever the caller may write: the root and the system trees themselves (a project
# inside one, e.g. /var/lib/jenkins/workspace, is a checkout like any other)
_NEVER_WRITABLE = ("/", "/tmp", "/proc", "/sys", "/dev", "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/boot",
                   "/var", "/opt", "/run", "/srv", "/mnt", "/snap")


def writable(project_root: Path, providers: dict[str, str] | None = None, home: str | None = None) -> Writable:
    """The directories a deploy runner lets the program write that the sandbox would show read-only: the project's
    checkout (the top of the git work tree holding `project_root`, else `project_root`) and the home (`home`,
    default $HOME), each only when this user owns it and can write it, none that is a system tree or an ancestor of
    /tmp, and none with a mount point below it (an overlay would hide that mount). `providers`: Pulumi package ->
    the installed SDK's semver (`sdk_versions.installed`), shown as the CLI's plugin folders in the home."""
    home = os.environ.get("HOME", "") if home is None else home
    candidates = [_checkout(project_root.resolve())]
    if home and os.path.isabs(home):
        candidates.append(Path(home).resolve())
    mounts = _mount_points()
    chosen: list[Path] = []
    for path in candidates:
        text = str(path)
        if (text in _NEVER_WRITABLE or Path("/tmp").is_relative_to(path) or not _PLAIN_PATH.fullmatch(text)
                or any(m != path and m.is_relative_to(path) for m in mounts)):
            continue
        try:
            if path.stat().st_uid != os.getuid() or not os.access(path, os.W_OK):
                continue
        except OSError:
            continue
        chosen.append(path)
    kept = [p for p in chosen if not any(o != p and p.is_relative_to(o) for o in chosen)]
    dirs = tuple(dict.fromkeys(str(p) for p in kept))
    shown_home = str(Path(home).resolve()) if home and str(Path(home).resolve()) in dirs else ""
    plugins = tuple(sorted(name for name in (f"resource-{package}-v{version}"
                                             for package, version in (providers or {}).items())
                           if _PLUGIN_NAME.fullmatch(name)))
    return Writable(dirs, shown_home, plugins if shown_home else ())


CLI_HOME_SIZES = Path(__file__).with_name("cli_home_sizes.yaml")


@functools.cache
def _cli_home_sizes() -> dict:
    from agentid_components import data_yaml  # noqa: PLC0415

    return data_yaml.load(CLI_HOME_SIZES)


def cli_files(plugins: tuple[str, ...]) -> list[tuple[str, int]]:
    """The files of the Pulumi CLI home shown in the home's layer, relative to `.pulumi`, with their apparent sizes
    (cli_home_sizes.yaml: the CLI, its Python language host, `pulumi-resource-PKG` in each plugin folder)."""
    sizes = _cli_home_sizes()
    files = [(str(path), int(size)) for path, size in sizes["cli"].items()]
    for plugin in plugins:
        package = plugin[len("resource-"):].rsplit("-v", 1)[0]
        files.append((f"plugins/{plugin}/pulumi-resource-{package}",
                      int(sizes["plugins"].get(package, sizes["default_plugin"]))))
    return files


def _checkout(root: Path) -> Path:
    """The top of the git work tree holding `root` (where `.git` is, a folder or a worktree's file), else `root`."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder
    return root


def _mount_points() -> list[Path]:
    """This process's mount points (/proc/self/mounts, octal escapes undone)."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    points = []
    for line in lines:
        fields = line.split()
        if len(fields) > 1:
            points.append(Path(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])))
    return points


def command(argv: list[str], run_dir: Path, needs: list[Path], shown: Writable = Writable()) -> list[str]:
    """`argv` wrapped so that it runs in the sandbox, with `run_dir` its only writable directory but its tmpfs and the
    throwaway overlays on `shown.dirs` (`writable`).

    The program's /tmp is a fresh tmpfs; of the real /tmp it sees (read-only) only the entries that hold
    one of `needs` (its project, its interpreter, its import path, when they live under /tmp).
    """
    unshare = shutil.which("unshare") or "unshare"
    kept = sorted({path.resolve().relative_to("/tmp").parts[0] for path in needs
                   if path.resolve().is_relative_to("/tmp") and path.resolve() != Path("/tmp")}
                  - {run_dir.resolve().relative_to("/tmp").parts[0] if run_dir.resolve().is_relative_to("/tmp") else ""})
    return [*_outer_unshare(unshare), "sh", "-c", _SETUP, "sh", str(run_dir), str(MAX_FILE_BYTES // 512),
            f"size={TMPFS_SIZE},nr_inodes={TMPFS_INODES}", str(os.getuid()), str(os.getgid()), unshare, str(len(kept)), *kept,
            shown.home, " ".join(f"{path}:{size}" for path, size in cli_files(shown.plugins)) if shown.home else "",
            str(len(shown.dirs)), *shown.dirs, *argv]


def view_command(run_dir: Path, needs: list[Path], shown: Writable = Writable()) -> list[str]:
    """The `sh` that builds the program's view (everything `command` does in the namespaces but `ulimit -f` and the
    program's own user and mount namespaces), run by the namespaces' init of a program forked from the gate
    (`program_fork`): exits 0 when the view is built, SETUP_FAILED when not."""
    full = command(["true"], run_dir, needs, shown)
    setup = full.index(_SETUP)
    return ["sh", "-c", _SETUP_VIEW, *full[setup + 1:-1]]


def unsandboxed(argv: list[str]) -> list[str]:
    """`argv` under a plain `sh` that waits for it: without a sandbox, the program's parent is still not the gate
    (whose command line names it)."""
    return ["sh", "-c", '"$@"; exit $?', "sh", *argv]


def _outer_unshare(unshare: str) -> list[str]:
    # New user (mapped to root: it may mount), network, mount and pid namespaces; /proc of the new pid
    # namespace; the forked init is SIGKILLed if unshare itself dies (the gate's timeout kills unshare).
    return [unshare, "--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "--mount-proc",
            "--kill-child=SIGKILL"]


def _inner_unshare(unshare: str, uid: str = "0", gid: str = "0") -> str:
    # The program's own user namespace (its ids are the caller's ids outside) and a mount namespace it
    # owns, copied from the one just made read-only: the copy's mounts are locked (cannot be made writable).
    return f"{unshare} --user --map-user={uid} --map-group={gid} --mount"


# The namespace's init (PID 1). $1 run dir, $2 file-size limit in 512-byte blocks, $3 tmpfs size options,
# $4/$5 the caller's uid/gid, $6 unshare, $7 a count N, then N names in /tmp the program needs (its project,
# its Python), the home shown writable or "", the CLI home's files as PATH:SIZE relative to .pulumi (one word,
# blank-separated; `cli_files`), a count M and M
# directories shown writable (`Writable`), then the program's argv. It stays the program's parent and exits with its
# status; its exit makes the kernel kill everything still in the pid namespace.
_SETUP = r"""
set -f
fail() { echo "sandbox: $*" >&2; exit 121; }
run=$1 blocks=$2 bound=$3 uid=$4 gid=$5 unshare=$6 count=$7
shift 7
exec 3<"$run" || fail "cannot open the run directory"
while read -r _dev point _rest; do
  case "$point" in /proc|/proc/*) continue ;; esac
  mount -o remount,ro,bind "$point" 2>/dev/null || fail "cannot make $point read-only"
done < /proc/self/mounts
mount -t tmpfs -o "$bound,mode=1777,nosuid,nodev" tmpfs /dev/shm || fail "cannot mount /dev/shm"
mkdir /dev/shm/.tmp && mount --rbind /tmp /dev/shm/.tmp || fail "cannot keep /tmp aside"
mount -t tmpfs -o "$bound,mode=1777,nosuid,nodev" tmpfs /tmp || fail "cannot mount /tmp"
while [ "$count" -gt 0 ]; do
  name=$1; shift; count=$((count - 1))
  if [ -d "/dev/shm/.tmp/$name" ]; then mkdir "/tmp/$name"; else : > "/tmp/$name"; fi
  mount --rbind "/dev/shm/.tmp/$name" "/tmp/$name" && mount -o remount,ro,bind "/tmp/$name" \
    || fail "cannot show /tmp/$name"
done
umount -l /dev/shm/.tmp && rmdir /dev/shm/.tmp || fail "cannot drop the old /tmp"
# Writable as at `pulumi up` (red19 r19-6): each of N directories an overlay whose upper layer lives on one tmpfs
# detached from every path once mounted (the program's writes land there, bounded, and vanish); the home shows the
# plugin folders and binaries of a Pulumi CLI home when the real home has no .pulumi. An overlay the kernel refuses
# leaves the directory read-only. Few commands (each one a process start): the layers made with one mkdir.
home=$1 plugins=$2 count=$3
shift 3
shown=""
if [ "$count" -gt 0 ]; then
  layer=/dev/shm/.w
  mkdir "$layer" && mount -t tmpfs -o "$bound,mode=0755,nosuid,nodev" tmpfs "$layer" || fail "cannot mount a layer"
  made="" files="" n=0 cli=""
  for dir in "$@"; do
    [ "$n" -lt "$count" ] || break
    made="$made $layer/u$n $layer/w$n"
    if [ "$dir" = "$home" ] && [ ! -e "$dir/.pulumi" ] && [ ! -L "$dir/.pulumi" ]; then
      cli="$layer/u$n/.pulumi"
      made="$made $cli/bin $cli/plugins"
      for entry in $plugins; do
        file=${entry%:*}
        case "$file" in plugins/*/*) made="$made $cli/${file%/*}" ;; esac
        files="$files $cli/$file"
      done
    fi
    n=$((n + 1))
  done
  mkdir -p $made || fail "cannot make the layers"
  if [ -n "$cli" ]; then
    # each binary an ELF magic and then a hole up to its size (red23 r20-6: an empty file is a tell): one page of the
    # tmpfs each, whatever the size (a sparse file may outgrow the tmpfs's size bound); no truncate: 7 bytes, a tell
    for entry in $plugins; do
      file=$cli/${entry%:*}
      printf '\177ELF\002\001\001' > "$file" || fail "cannot show $file"
      truncate -s "${entry##*:}" "$file" 2>/dev/null || :
      case "${entry%:*}" in plugins/*/*) lock=${entry%:*}; : > "$cli/${lock%/*}.lock" || fail "cannot show $lock" ;; esac
    done
    chmod 755 $files || fail "cannot show the CLI's binaries"
  fi
  n=0
  while [ "$n" -lt "$count" ]; do
    dir=$1; shift
    # (a chmod without --reference, busybox's, or a refused overlay: the directory stays read-only, a tell)
    chmod --reference="$dir" "$layer/u$n" 2>/dev/null \
      && mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layer/u$n,workdir=$layer/w$n,userxattr" "$dir" 2>/dev/null \
      && shown="$shown $dir"
    n=$((n + 1))
  done
  umount -l "$layer" && rmdir "$layer" || fail "cannot detach the layers"
fi
mkdir -p "$run" 2>/dev/null
mount --no-canonicalize --bind /proc/self/fd/3 "$run" && mount -o remount,rw,bind "$run" \
  || fail "cannot mount the run directory"
exec 3<&-
# The top mount at each point (a lower one it covers cannot be reached) must now be read-only.
awk '{ top[$2] = $4 } END { for (p in top) print p, top[p] }' /proc/self/mounts > /tmp/.mounts
while read -r point options; do
  case "$point" in /proc|/proc/*|/tmp|/dev/shm|"$run") continue ;; esac
  case " $shown " in *" $point "*) continue ;; esac
  case "$options" in ro|ro,*) ;; *) fail "$point is still writable" ;; esac
done < /tmp/.mounts
rm -f /tmp/.mounts
"""
PID_FLOOR, PID_RANGE = 2000, 28000  # the program's parent's pid, drawn in [PID_FLOOR, PID_FLOOR + PID_RANGE)
LANGUAGE_HOST = "pulumi-language-python"  # the engine's Python language host: the program's parent's name
# The program's pid and parent as under Pulumi's host (docs/preview.md, "Cloaking tells"): a pid in the thousands
# (ns_last_pid of the new pid namespace, whose user namespace we own), and a parent named as pulumi-language-python
# (/proc/PPID/comm): the inner unshare, forking the program, run through a link of that name beside the exec script.
_SETUP_RUN = r"""ulimit -f "$blocks" || fail "cannot limit file sizes"
last=$(od -An -N2 -tu2 /dev/urandom) && echo $((last % PID_RANGE + PID_FLOOR)) > /proc/sys/kernel/ns_last_pid || :
ln -s "$unshare" "$run/bin/pulumi-language-python" || fail "cannot link the language host's name"
"$run/bin/pulumi-language-python" --user --map-user="$uid" --map-group="$gid" --mount --fork -- "$@" </dev/null
exit $?
""".replace("PID_RANGE", str(PID_RANGE)).replace("PID_FLOOR", str(PID_FLOOR))
_SETUP_VIEW = _SETUP  # the view alone, for a program forked from the gate (program_fork.py), which does the rest itself
_SETUP = _SETUP_VIEW + _SETUP_RUN

# --- the fallback: no namespaces ---------------------------------------------------------------

_PR_SET_CHILD_SUBREAPER = 36  # prctl(2)


def adopt_orphans() -> bool:
    """Make this process the subreaper of its descendants (prctl(2) PR_SET_CHILD_SUBREAPER): a child the
    program daemonizes (double fork, setsid) is re-parented here instead of to init, so it can be found."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def kill_leftovers(process_group: int, started_after: float, spare: set[int], rounds: int = 200) -> list[int]:
    """Kill the program's process group and every orphan re-parented to us since `started_after`
    (monotonic clock tick of the program's start) but the processes in `spare`; return what still runs
    after `rounds` sweeps (empty: all gone). Each killed parent's children are orphaned to us in turn."""
    try:
        os.killpg(process_group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    remaining: list[int] = []
    for _ in range(rounds):
        remaining = [pid for pid in _children_of(os.getpid()) if pid not in spare and _started(pid) >= started_after]
        if not remaining:
            return []
        for pid in remaining:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _reap(pid)
        time.sleep(0.005)
    return remaining


def clock_ticks_now() -> float:
    """Now, in the unit of /proc/PID/stat's start time (clock ticks since boot)."""
    return time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK")


def _children_of(parent: int) -> list[int]:
    children = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and int(stat[1]) == parent:
                children.append(int(entry.name))
    return children


def _started(pid: int) -> float:
    stat = _stat(pid)
    return float(stat[19]) if stat is not None else 0.0


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, ..., starttime at index 19)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def _reap(pid: int) -> None:
    for _ in range(100):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.001)
