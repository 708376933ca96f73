// Package supervisor is part of the in-container agent (runtime-api/): it starts the function's
// runtime process and the external extensions' processes, learns how they ended, and kills them
// with everything they started.
//
// Inside a container the agent is PID 1, so it inherits every orphan and must reap it, and a
// reset must also kill what the runtime left behind (child processes, daemons). As PID 1 the
// supervisor therefore runs one reaper loop (Wait4(-1) on SIGCHLD) that hands each started
// process its own exit status — nothing else calls wait, so there is no race over who reaps
// it — and a kill is kill(-1, SIGKILL), which in a PID namespace reaches every process except
// PID 1.
//
// Anywhere else (tests on the host) kill(-1) would hit the whole machine and Wait4(-1) would steal
// other children of the process, so one goroutine waits for each started pid only, and a kill
// reaches the process group. Which mode applies is decided by os.Getpid() alone, never by a flag,
// so a test cannot end up calling kill(-1).
//
// In both modes every started process leads its own process group, and Signal (the runtime's
// SIGTERM at shutdown) reaches that group only: the extensions, which get a SHUTDOWN event
// instead, are not signalled with the runtime.
package supervisor
