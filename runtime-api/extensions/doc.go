// Package extensions is part of the in-container agent (runtime-api/): it finds the external
// extensions of an environment and keeps the extensions registered through the Extensions API
// during one generation of it (one init: extensions and runtime, until a reset), with the events
// each of them asked for.
//
// External extensions are the executable files of /opt/extensions (Discover; layers are
// extracted into /opt), at most MaxExtensions. The environment package launches them before
// the runtime, with the runtime's environment minus the "_" keys (Environ), and expects each
// to register under its file name; a name that matches no launched file is an internal
// extension (code inside the runtime process, such as aws-lambda-go's WithEnableSIGTERM), which
// lives and dies with the runtime.
//
// The Registry is what the environment waits on: Registered (every launched extension
// registered: the runtime may start), Ready (every extension waits in /event/next with nothing
// queued: the end of init and of an invocation's post-invoke phase), Failed (an extension
// posted /extension/init/error during init), ExternalSettled (after SHUTDOWN: every external
// extension exited or asked for the next event). Events are queued per extension, so one that
// is slow to call /event/next misses nothing, and one that subscribed to nothing simply blocks,
// as on Lambda. A registry belongs to one generation and is dropped on reset.
package extensions
