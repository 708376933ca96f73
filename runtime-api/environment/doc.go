// Package environment is part of the in-container agent (runtime-api/): it runs the execution
// environment's lifecycle, init, invoke, reset and shutdown of the function's runtime and its
// external extensions (lambda-api.md §1.8, §1.11).
//
// It is the one place that decides. The runtime's side arrives as a runtimeapi.Session (init
// done, init error, result), the extensions' side as its extensions.Registry (registered,
// ready, init error), the processes' side as supervisor.Process (exit), time as the
// invocation's timer; each phase is a select over these, with the order of precedence written
// out where two can be ready at once (a runtime that posts /error and then exits, as
// aws-lambda-go does after a panic, has answered; its exit only means the next invocation
// re-inits).
//
// A generation is one init's worth of processes: the external extensions of the extension
// directory, launched first, then — once every one of them registered — the runtime. Init ends
// when the runtime waits in /next and every extension in /event/next. A reset (timeout, a
// runtime or extension that exited) ends the generation: the runtime is killed, the external
// extensions get SHUTDOWN (reason timeout or failure) and ShutdownGrace to finish, then they are
// killed too; the next invocation inits a new generation.
//
// One invocation runs at a time; the boot-time init holds the same slot, so an invocation that
// arrives during init waits for it, and its own timeout starts only when it gets the slot. A
// re-init after a reset runs inside the invocation that needs it and counts against its timeout.
// When extensions got INVOKE, the slot is held past the runtime's answer through Lambda's
// post-invoke phase, until the runtime and every extension asked for the next event (bounded by
// the invocation's deadline); the answer itself is returned at once.
package environment
