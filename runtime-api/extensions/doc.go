// Package extensions is part of the in-container agent (runtime-api/): it keeps the extensions
// registered through the Extensions API during one runtime's lifetime and queues the events each
// of them asked for.
//
// Lambdock does not launch external extensions from /opt/extensions; what registers here are
// internal extensions (code inside the runtime process, such as aws-lambda-go's
// WithEnableSIGTERM). They live and die with the runtime, so a registry belongs to one runtime
// process and is dropped on reset. Events are queued per extension, so one that is slow to call
// /event/next misses nothing, and one that subscribed to nothing simply blocks, as on Lambda.
package extensions
