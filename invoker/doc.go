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
//	                     (a function's layers, too; layers.go merges them into its /opt)
//
// Design choices:
//
//   - The pool is keyed by function.Spec.PoolKey (function, version, memory, revision), so a
//     container never serves another function, version or configuration. An idle container of the
//     key is reused (the most recently used first, which lets the others age out); when none is
//     idle, a new one is created, so N concurrent invocations of a function get N containers.
//     Handing out and reserving happen under one mutex; Docker calls never run under it.
//   - Memory is reserved before a container is created and counted until it is gone: the sum of
//     MemoryMB of live and starting containers never exceeds CapacityMB × Overcommit (default
//     1.5: functions rarely use all of their limit; Stats and heartbeats report this overcommitted
//     capacity). When full, idle containers of other keys are evicted in value order (below) and
//     removed before the new container is created; an evicted container's memory passes to the
//     new one only once it is gone.
//   - When eviction cannot free enough, the invocation queues (queue.go) rather than being
//     refused: for at most min(QueueWait (default 2 s), the function's timeout) and until its
//     context ends. The wait does not run out while a container of the function is starting, and
//     counts again from when it is ready (within the function's timeout): a slow cold start on a
//     busy host is no reason to refuse the callers it will serve. Queued invocations are served in arrival order, under the pool's mutex, each
//     time an environment is released (one of its key is handed over directly; one of another
//     key becomes evictable) or memory is freed; one that does not fit keeps its place without
//     holding up smaller ones behind it, and newcomers do not overtake the queue for a finishing
//     environment. Only when the wait runs out does Invoke return the 429
//     TooManyRequestsException with Reason HostCapacityExceeded (the gateway adds Retry-After: 1).
//   - Eviction order (value.go), the least valuable first: pre-warmed environments (pool keys
//     starting with "stem:"), which serve no function and are cheapest to make again; then the
//     environment idle the longest relative to its function's keep-alive (its predicted reuse:
//     idle 3 of 4 minutes goes before idle 5 of 10); ties go to the cheaper to recreate: the
//     shorter init it last ran, then the smaller memory.
//   - Overcommit is guarded by a memory monitor (monitor.go): every 2 s it reads MemAvailable
//     and PSI (/proc/meminfo, /proc/pressure/memory). When MemAvailable falls below the reserve
//     (what CapacityMB leaves of the host, within [5%, 20%] of it), or PSI "some avg10" reaches
//     10%, it evicts idle environments in value order until the memory they are estimated to
//     hold (the peak each measured in its latest invocation, else its limit) covers the
//     shortfall (under PSI alone: 5% of CapacityMB per round). Busy environments are never
//     touched; each container's own memory limit still bounds it.
//   - A failed container removal is retried with backoff (5 attempts); Docker's "not found"
//     counts as gone. A container that still could not be removed keeps its memory charged, and
//     the reaper tries again on each round; Close retries until its context ends.
//   - A new revision of a function version (new code or configuration: a new pool key for the same
//     name and version) retires the idle containers of the old one at once, and the busy ones
//     when they finish; so does deleting the function (FunctionDeleted, on the gateways'
//     msg.FunctionChanged event) or one of its published versions (VersionDeleted, on an event
//     with Version).
//   - A container goes back to the pool only after the agent signals it idle (the last byte of
//     a buffered invocation's reply, agentproto.HeaderIdleFollows; GET /idle after a streamed
//     one): Lambda keeps the environment busy until the runtime asks for the next event, and the
//     caller gets its result before that. The wait runs in the background after Invoke returns. An invocation that finds
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
//   - Keep-alive follows each function's pattern (keepalive.go, after the hybrid histogram policy
//     of "Serverless in the Wild", ATC '20): the idle times of a function version (from one of
//     its environments becoming idle to its next invocation) go into a histogram of 1-minute bins
//     up to 4 h; its keep-alive is the 99th percentile plus 10%, within [1 min, KeepAlive]. With
//     fewer than 5 samples, or more than half beyond 4 h, KeepAlive applies. Counts halve every
//     1024 samples, so a changed pattern takes over; histograms of functions not seen for 24 h
//     are dropped (and at most 10000 are kept, about 1 KB each).
//   - Idle containers are removed after their function's keep-alive by a reaper that looks every
//     KeepAlive/4 (within [50 ms, 30 s]) and removes up to 4 containers at once.
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
//     a stem wakes the replenishing loop, which never runs on the invoke path, once the taken
//     stem's init has ended (a stem started meanwhile would compete with it for CPU; the same
//     holds for a shape learned from a cold start: initburst.go). Shapes are the
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
//   - Provisioned concurrency (provision.go, provision_pool.go): the controller's provisioner
//     sends a msg.ProvisionSet (Provision), the whole of what this invoker keeps initialised,
//     replacing the previous set. A loop keeps Count environments per target: memory reserved
//     (evicting idle on-demand environments, never provisioned ones), container started with
//     AWS_LAMBDA_INITIALIZATION_TYPE provisioned-concurrency (agentproto.Config says it too, so
//     the agent reports no Init Duration on the first invocation and bills none), with Lambda's
//     init limit for them (130 s or the function's timeout, if longer) and no init burst, free for
//     invocations only once the agent reports its init ended well (a failure is the target's
//     Failed reason, retried with backoff). They wait in their own idle lists, which the reaper,
//     eviction and the memory monitor never read; an invocation of their pool key takes one
//     first. A container that exits while idle (Docker's wait) or breaks during an invocation is
//     removed and replaced; a target that shrinks or leaves loses its idle extras at once and its
//     busy ones when they finish. Their time is metered: usage records of invocation type
//     provisioned every ProvisionedMeterInterval and at teardown (Config.Usage).
//   - Container creation is bounded per host: at most MaxConcurrentStarts Docker create+start
//     run at once (startgate.go); waiting cold starts of invocations go before waiting stem
//     replenishments, and the replenishing loop starts one stem at a time.
//   - The first init gets more CPU (initburst.go), as Lambda's: a container, or a stem, starts
//     with Config.InitCPUs vCPU (default min(2, host CPUs); never below its own quota) and is
//     lowered to MemorySize/1769 vCPU by a Docker container update once its agent reports that
//     the first init (at start, or after specialisation) ended (agentproto.PathInit). The wait
//     and the update run in the background, tracked for Close and ended by discard; the first
//     invocation does not wait for them (its handler may run at the burst for the update's few
//     milliseconds). A failed update is retried with backoff while the environment lives.
//     Re-inits after a reset run at the function's own quota.
//
// Cold starts (container create → first response) are dominated by Docker's create and start
// (about 270 ms median on a 2-core host with fuse-overlayfs); a warm Invoke takes about 1 ms.
// BenchmarkColdStart and BenchmarkInvokeWarm measure them on a given host; BenchmarkFirstInvoke
// compares the first invocation of a new function with and without a pre-warmed container. On a
// 2-core host shared with other load (25 iterations each, side by side in one run) the first
// invocation took p50/p99 603/1128 ms cold and 18/48 ms pre-warmed at 1,769 MB; at 128 MB,
// where the runtime's init runs under a 0.07 vCPU quota, 1170/2524 ms cold and 95/214 ms
// pre-warmed (before the init burst). BenchmarkInitBurst measures the burst on 128 MB echo
// functions of the language runtimes (medians of 10, same host and load; with / without the
// burst): python3.13's Init Duration 113 / 735 ms cold and 111 / 616 ms pre-warmed (first
// invoke 728 / 1352 and 116 / 657 ms); nodejs20.x's 265 / 2965 ms cold and 287 / 2636 ms
// pre-warmed (first invoke 672 / 3531 and 295 / 2642 ms).
package invoker
