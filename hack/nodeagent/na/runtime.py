"""How the node agent runs a container: the one interface a runtime implements, and the process
runtime (each container is a local process on the host network, so every Pod IP is 127.0.0.1).

Owner: realk8s (a podman runtime may be added beside ProcessRuntime with the same interface).
All calls come from the agent's main loop thread (PR_SET_PDEATHSIG is bound to the thread that
started a process: a pool thread would take its processes with it when it ends).

Interface
  runtime.start(spec: ContainerSpec) -> handle       raises StartFailure(reason, message)
  handle.id                    the container ID reported as "<runtime.name>://<id>"
                               (RoutedRuntime: "<handle.runtime_name>://<id>")
  handle.image_id              the imageID reported in the container status ('' if unknown)
  handle.probed                whether the agent runs the container's probes
  handle.poll() -> int | None  exit code once the container has exited
  handle.stop()                ask it to stop (SIGTERM to its process group)
  handle.kill()                stop it now (SIGKILL)
  handle.release()             after it exited: free what it held (pid files, ports)
  runtime.tick()               periodic work of the runtime (the loop calls it about once a second)
  runtime.close()              stop serving anything shared

Process runtime rules
  - command (+ args, $(VAR) already expanded by the agent) runs with the container's env in its
    workingDir (else the container's state folder), in its own process group, output to the
    container's log file; the agent's PATH is kept so commands are found;
  - a container with no command (an image this runtime cannot run, e.g. a model image) is
    emulated: no process, it runs until stopped and counts as passing its probes (there is
    nothing to probe; its ports are not served, so a test may serve them with a process of its
    own, as it would be reached at the Pod IP 127.0.0.1); in a Pod whose restartPolicy is not
    Always (a Job's Pod) it exits 0 after FINITE_RUN_S, unless the agent runs with --jobs=manual.
"""
import fnmatch
import hashlib
import os
import shutil
import signal
import subprocess
import time

FINITE_RUN_S = 1.0


class StartFailure(Exception):
    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


class ContainerSpec:
    """What the agent resolved for one container run (argv empty: no command)."""

    def __init__(self, pod_uid, name, image, argv, env, working_dir, ports, log_path, finite, pod=None,
                 container=None):
        self.pod_uid = pod_uid
        self.name = name
        self.image = image
        self.argv = argv
        self.env = env
        self.working_dir = working_dir
        self.ports = ports
        self.log_path = log_path
        self.finite = finite
        self.pod = pod              # the Pod and the container spec, for runtimes that need more
        self.container = container  # (volumes, security context: podman.py)


def image_id(image):
    """REPO@DIGEST when the image is pinned by a digest (what a runtime reports after a pull);
    unknown otherwise."""
    return image if '@sha256:' in image else ''


class ProcessHandle:
    probed = True

    def __init__(self, proc, pgid_dir):
        self.proc = proc
        self.id = hashlib.sha256(('%d-%f' % (proc.pid, time.time())).encode()).hexdigest()
        self.image_id = ''
        self.pgid_file = os.path.join(pgid_dir, str(proc.pid))
        open(self.pgid_file, 'w').close()

    def poll(self):
        code = self.proc.poll()
        return 128 - code if code is not None and code < 0 else code  # killed by a signal: 128+N

    def signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except OSError:
            pass

    def stop(self):
        self.signal_group(signal.SIGTERM)

    def kill(self):
        self.signal_group(signal.SIGKILL)

    def release(self):
        self.signal_group(signal.SIGKILL)  # children the main process left behind
        try:
            os.unlink(self.pgid_file)
        except OSError:
            pass


class EmulatedHandle:
    probed = False  # no process, nothing to probe

    def __init__(self, spec, finite):
        self.id = hashlib.sha256(('%s-%s-%f' % (spec.pod_uid, spec.name, time.time())).encode()).hexdigest()
        self.image_id = image_id(spec.image)
        self.exit_at = time.time() + FINITE_RUN_S if finite else None
        self.code = None

    def poll(self):
        if self.code is None and self.exit_at is not None and time.time() >= self.exit_at:
            self.code = 0
        return self.code

    def stop(self):
        if self.code is None:
            self.code = 0  # exits on SIGTERM at once, successfully

    def kill(self):
        if self.code is None:
            self.code = 137

    def release(self):
        pass


class ProcessRuntime:
    name = 'process'

    def __init__(self, state_dir, jobs_manual=False):
        self.pgid_dir = os.path.join(state_dir, 'pgids')
        os.makedirs(self.pgid_dir, exist_ok=True)
        self.jobs_manual = jobs_manual

    def start(self, spec):
        if not spec.argv:
            return EmulatedHandle(spec, spec.finite and not self.jobs_manual)
        env = dict(spec.env)
        env.setdefault('PATH', os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin'))
        cwd = spec.working_dir or os.path.dirname(spec.log_path)
        if not os.path.isdir(cwd):
            raise StartFailure('StartError', 'chdir to cwd ("%s") set in config.json failed: no such file or '
                               'directory' % cwd)
        exe = spec.argv[0]
        found = os.path.isfile(os.path.join(cwd, exe)) if '/' in exe else shutil.which(exe, path=env['PATH'])
        if not found:
            raise StartFailure('StartError', 'exec: "%s": executable file not found in $PATH' % exe)
        os.makedirs(os.path.dirname(spec.log_path), exist_ok=True)
        log = open(spec.log_path, 'ab')
        try:
            # setpriv --pdeathsig: the container dies with the agent, even a SIGKILLed one
            proc = subprocess.Popen(['setpriv', '--pdeathsig', 'KILL', '--'] + spec.argv, env=env, cwd=cwd,
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        except OSError as e:
            raise StartFailure('StartError', 'failed to start %s: %s' % (spec.argv[0], e))
        finally:
            log.close()
        h = ProcessHandle(proc, self.pgid_dir)
        h.image_id = image_id(spec.image)
        return h

    def tick(self):
        """Called by the agent's loop about once a second (nothing periodic here)."""

    def close(self):
        """Nothing shared to stop."""


class RoutedRuntime:
    """Two runtimes on one node, chosen by image: images whose reference matches PATTERN (an
    fnmatch glob, e.g. '*/modelgov-*') run with `matched`, the others with `other`. A podman node
    whose chart images run as containers while a test's command-less model images stay emulated
    (the agent's --podman-images)."""

    def __init__(self, pattern, matched, other):
        self.pattern = pattern
        self.matched = matched
        self.other = other
        self.name = matched.name

    def start(self, spec):
        rt = self.matched if fnmatch.fnmatchcase(spec.image, self.pattern) else self.other
        h = rt.start(spec)
        h.runtime_name = rt.name
        return h

    def tick(self):
        self.matched.tick()
        self.other.tick()

    def close(self):
        try:
            self.matched.close()
        finally:
            self.other.close()
