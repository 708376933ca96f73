// Package dockerimage is what Lambdock does with container images through the Docker Engine API,
// apart from running them: the gateway resolves a function's ImageUri to the image ID it pins
// (Resolver), and the CLI builds a project's Dockerfile into an image (Build, BuildContext).
//
// It is not the invoker's sandbox (invoker/sandbox runs containers from the pinned ID and never
// pulls), and it does not talk to registries itself: pulling is the Docker daemon's work.
package dockerimage
