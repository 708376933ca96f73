// Package environment is part of the in-container agent (runtime-api/): it runs the execution
// environment's lifecycle, init, invoke, reset and shutdown of the function's runtime
// (lambda-api.md §1.8).
//
// It is the one place that decides. The runtime's side arrives as a runtimeapi.Session (init
// done, init error, result), the process's side as a supervisor.Process (exit), time as the
// invocation's timer; each phase is a select over these, with the order of precedence written
// out where two can be ready at once (a runtime that posts /error and then exits, as
// aws-lambda-go does after a panic, has answered; its exit only means the next invocation
// re-inits).
//
// One invocation runs at a time; the boot-time init holds the same slot, so an invocation that
// arrives during init waits for it, and its own timeout starts only when it gets the slot. A
// re-init after a reset runs inside the invocation that needs it and counts against its timeout.
package environment
