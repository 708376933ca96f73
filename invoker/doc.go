// Package invoker runs Lambda invocations in Docker containers on one host: it keeps a pool of
// warm execution environments, creates new ones through the Docker Engine API, and talks to the
// runtime-api agent inside each over its private channel (internal/contract/agentproto).
//
// Layout:
//
//	invoker/             pool bookkeeping, the invoke path, the idle reaper, Close
//	invoker/sandbox      the container definition (limits, mounts, Lambda environment variables,
//	                     labels), channel directories, and the Docker calls
//	invoker/agentclient  the host side of the agent channel (HTTP over the unix socket)
//	invoker/codecache    zips by content hash, extracted once, validated as untrusted input
//
// Design choices:
//
//   - The pool is keyed by function.Spec.PoolKey (function, version, memory, revision), so a
//     container never serves another function, version or configuration. An idle container of the
//     key is reused (the most recently used first, which lets the others age out); when none is
//     idle, a new one is created, so N concurrent invocations of a function get N containers.
//     Handing out and reserving happen under one mutex; Docker calls never run under it.
//   - Memory is reserved before a container is created and counted until it is gone: the sum of
//     MemoryMB of live and starting containers never exceeds CapacityMB. When full, idle
//     containers of other keys are evicted, least recently used first, and removed before the new
//     container is created; an evicted container's memory passes to the new one only once it is
//     gone. When eviction cannot free enough, Invoke returns the 429 TooManyRequestsException
//     (ConcurrentInvocationLimitExceeded).
//   - A failed container removal is retried with backoff (5 attempts); Docker's "not found"
//     counts as gone. A container that still could not be removed keeps its memory charged, and
//     the reaper tries again on each round; Close retries until its context ends.
//   - A new revision of a function version (new code or configuration: a new pool key for the same
//     name and version) retires the idle containers of the old one at once, and the busy ones
//     when they finish.
//   - A container goes back to the pool only after the agent's /idle answers: Lambda keeps the
//     environment busy until the runtime asks for the next event, and the caller gets its result
//     before that. The wait runs in the background after Invoke returns. An invocation that finds
//     no idle container but one of its key finishing (replied, /next not yet called) waits up to
//     250 ms for it to be handed over rather than start a new one: a cold start costs far more,
//     and a caller invoking sequentially would otherwise race the runtime's /next and get a new
//     container nearly every time.
//   - Timeouts are the agent's job (Sandbox.Timedout, runtime reset, the container stays warm).
//     The invoker keeps a backstop: no reply within timeout + init allowance (10 s) + 5 s grace,
//     or any failure of the channel, and the container is removed and Invoke returns a Go error
//     (the caller maps it to ServiceException). A function error is never a Go error.
//   - If Invoke's context ends during an invocation, the container's state is unknown and it is
//     removed.
//   - Idle containers are removed after KeepAlive by a reaper that looks every KeepAlive/4
//     (within [50 ms, 30 s]) and removes up to 4 containers at once.
//   - Every container is labelled with the invoker's ID; New removes what a crashed invoker with
//     the same ID left behind, and Close removes everything it created (and waits for in-flight
//     work), so nothing outlives the invoker.
//   - The invoker must run on the Docker host (bind mounts of DataDir) as root or with
//     CAP_CHOWN: each channel directory is owned by the functions' uid with mode 0700.
//   - Pre-warmed containers ("stem cells", prewarm*.go): Config.Prewarm containers per shape
//     (runtime image, memory, ephemeral storage; the CPU quota follows memory) are created and
//     started ahead of need, their agent waiting with no function (agentproto's stem mode). They
//     are envs idle under the key stem:<image>:<memory>:<ephemeral>; they hold memory like any
//     container, are created only from free capacity (never evicting anything), and are the
//     first eviction victims. An invocation of a zip function takes, in this order: an idle
//     environment of its key, a finishing one (handoff), a stem of its shape, a new container.
//     A stem is specialised by linking the function's code from the code cache into the stem's
//     own task directory (DataDir/task/<ID>/<env>, hard links, copies across filesystems) and
//     sending the agent the function's Config and the environment sandbox.Environment gives a
//     container created for it; the invocation then runs init and is Cold and Prewarmed. Taking
//     a stem wakes the replenishing loop, which never runs on the invoke path. Shapes are the
//     configured ones (default: each runtime image at 128 MB and 512 MB of /tmp) and up to 8
//     learned from cold starts of zip functions, each dropped after KeepAlive unused. Stems idle
//     past KeepAlive are reaped like any idle container and replaced. Image functions always
//     start cold (their image is the container's).
//   - Why a stem does not weaken isolation: it serves exactly one function for its whole life.
//     Once taken its pool key is the function's; it never returns to the stem pool, and the
//     agent accepts /specialize once only (a function cannot re-specialise its own container
//     through the channel it can reach). Its task directory, mounted read-only at /var/task, is
//     its own (outside the channel directory, which the function user can write), and is
//     filled only after it was taken; its channel is its own as for any container. The memory,
//     CPU, pids, /tmp size, user and every other limit were set at create for its shape, which
//     is exactly the function's (the shape is part of the match), so the container is the one
//     a cold start would have created, bar the env id, the labels (a stem keeps
//     lambdock.stem=true and no function label) and the agent's own environment (the runtime
//     gets the function's through the agent, not the container's).
//   - Container creation is bounded per host: at most MaxConcurrentStarts Docker create+start
//     run at once (startgate.go); waiting cold starts of invocations go before waiting stem
//     replenishments, and the replenishing loop starts one stem at a time.
//
// Cold starts (container create → first response) are dominated by Docker's create and start
// (about 270 ms median on a 2-core host with fuse-overlayfs); a warm Invoke takes about 1 ms.
// BenchmarkColdStart and BenchmarkInvokeWarm measure them on a given host; BenchmarkFirstInvoke
// compares the first invocation of a new function with and without a pre-warmed container. On a
// 2-core host shared with other load (25 iterations each, side by side in one run) the first
// invocation took p50/p99 603/1128 ms cold and 18/48 ms pre-warmed at 1,769 MB; at 128 MB,
// where the runtime's init runs under a 0.07 vCPU quota, 1170/2524 ms cold and 95/214 ms
// pre-warmed.
package invoker
