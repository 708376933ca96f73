// Package supervisor is part of the in-container agent (runtime-api/): it starts the function's
// runtime process, learns how it ended, and kills it with everything it started.
//
// Inside a container the agent is PID 1, so it inherits every orphan and must reap it, and a
// reset must also kill what the runtime left behind (child processes, daemons). As PID 1 the
// supervisor therefore runs one reaper loop (Wait4(-1) on SIGCHLD) that hands each runtime its own
// exit status — nothing else calls wait, so there is no race over who reaps the runtime — and a
// reset is kill(-1, SIGKILL), which in a PID namespace reaches every process except PID 1.
//
// Anywhere else (tests on the host) kill(-1) would hit the whole machine and Wait4(-1) would steal
// other children of the process, so the runtime gets its own process group, one goroutine waits
// for that pid only, and a reset kills the group. Which mode applies is decided by os.Getpid()
// alone, never by a flag, so a test cannot end up calling kill(-1).
package supervisor
