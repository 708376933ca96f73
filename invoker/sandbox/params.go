// Package sandbox makes Docker containers into Lambda execution environments: it turns a
// function.Spec into a container definition (limits, mounts, environment, labels), prepares the
// per-container channel directory, and performs the few Docker Engine API calls the invoker
// needs (create, start, watch, remove, find leftovers).
//
// Design choices:
//   - The container definition is a pure function of Params (ContainerConfig), so every limit
//     and mount is checked by unit tests without Docker.
//   - Hard limits follow Lambda: memory = MemorySize MiB with no swap; CPU = MemorySize/1769 vCPU
//     (capped at min(6, host CPUs)) as NanoCPUs, i.e. over the kernel's 100 ms CFS period; pids;
//     nofile 1024; no new privileges; every capability dropped; read-only root; a size-limited,
//     executable tmpfs on /tmp; a fixed non-root user.
//   - The container starts with a larger CPU quota for its first init (InitNanoCPUs, Lambda's
//     init burst: "the init code will execute faster than your handler code"); the invoker
//     lowers it to NanoCPUs with a container update once that init has ended (SetNanoCPUs).
//     Note that tmpfs pages count against the container's memory limit: a function that fills
//     /tmp has that much less memory (on Lambda, /tmp is separate from memory).
//   - The CFS period stays 100 ms although a small function is then throttled for ~90 ms at a
//     time: a 10 ms period (quota at least Linux's 1 ms) was measured on a 2-CPU host to double a
//     128 MB function's mean warm-invoke latency (p50 1 → 15 ms; p99 95 → 57-81 ms), probably as
//     the tiny quota is handed out in per-CPU slices (BenchmarkInvokeWarm128 in invoker/).
//   - The agent binary is bind-mounted read-only and is the entrypoint; the function never sees
//     the Docker socket or any other container's channel.
//   - Every container carries labels naming Lambdock, the invoker, the function and the pool key,
//     so an invoker that crashed can find and remove what it left (Engine.List).
//   - Container logs use json-file capped at 10 MB. An invocation's lines go to the invoker
//     only (the agent's log stream, relayed to JetStream), so a function printing a lot costs
//     dockerd nothing; what Docker gets is the agent's own messages and the output outside
//     invocations (init, shutdown), for operators (docker logs) and for the container output
//     quoted when a container fails to start. The cap keeps even that from filling the disk.
package sandbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Labels on every Lambdock container.
const (
	LabelManaged  = "lambdock.managed"
	LabelInvoker  = "lambdock.invoker"
	LabelFunction = "lambdock.function"
	LabelVersion  = "lambdock.version"
	LabelPoolKey  = "lambdock.pool-key"
	LabelEnvID    = "lambdock.env-id"
	// LabelStem is "true" on a pre-warmed container created with no function. Labels cannot
	// change: one specialised later keeps it, and its function and version labels stay empty.
	LabelStem = "lambdock.stem"
	// LabelInitType is the environment's AWS_LAMBDA_INITIALIZATION_TYPE when it is not
	// on-demand: provisioned-concurrency on a provisioned concurrency environment.
	LabelInitType = "lambdock.initialization-type"
)

// TaskRoot is where function code is mounted; RuntimeDir is the runtime's directory; OptRoot
// is where the function's layers are mounted.
const (
	TaskRoot   = "/var/task"
	RuntimeDir = "/var/runtime"
	OptRoot    = "/opt"
)

// Params is everything that shapes one container.
type Params struct {
	InvokerID   string
	EnvID       string        // 32 hex digits; names the container and its log stream
	Spec        function.Spec // with defaults applied
	Image       string
	ImageEnv    []string // the image's own ENV (image functions), whose PATH etc. are kept
	Handler     string   // _HANDLER
	AgentBinary string   // host path of the static agent
	ChannelDir  string   // host path of this container's channel directory
	CodeDir     string   // host path of the extracted code, "" for image functions
	OptDir      string   // host path of the merged layers, mounted read-only at /opt; "" for none
	// InitializationType is AWS_LAMBDA_INITIALIZATION_TYPE: agentproto.InitOnDemand ("") or
	// agentproto.InitProvisioned for a provisioned concurrency environment.
	InitializationType string
	// StemKey, when set, makes a pre-warmed container with no function: Spec gives only its
	// shape (MemoryMB, EphemeralMB), CodeDir is its own task directory (filled on
	// specialisation), and StemKey is its pool key.
	StemKey   string
	User      string // "uid:gid"
	PidsLimit int64
	HostCPUs  int
	// InitCPUs is the CPU quota, in vCPUs, of the environment's first init (InitNanoCPUs);
	// 0 or less: none, the container starts at its own quota.
	InitCPUs float64
	Created  time.Time
}

// Name is the container name: lambdock-<function>-<first 12 digits of the env id>, or
// lambdock-stem-<…> for a pre-warmed container.
func (p Params) Name() string {
	if p.StemKey != "" {
		return "lambdock-stem-" + p.EnvID[:12]
	}
	return "lambdock-" + sanitize(p.Spec.Name) + "-" + p.EnvID[:12]
}

// Labels identify the container as Lambdock's, this invoker's and this pool's.
func (p Params) Labels() map[string]string {
	if p.StemKey != "" {
		return map[string]string{
			LabelManaged: "true",
			LabelInvoker: p.InvokerID,
			LabelStem:    "true",
			LabelPoolKey: p.StemKey,
			LabelEnvID:   p.EnvID,
		}
	}
	labels := map[string]string{
		LabelManaged:  "true",
		LabelInvoker:  p.InvokerID,
		LabelFunction: p.Spec.Name,
		LabelVersion:  p.Spec.Version,
		LabelPoolKey:  p.Spec.PoolKey(),
		LabelEnvID:    p.EnvID,
	}
	if p.InitializationType != "" && p.InitializationType != agentproto.InitOnDemand {
		labels[LabelInitType] = p.InitializationType
	}
	return labels
}

// NanoCPUs is the CPU quota: MemoryMB/1769 vCPU, at most min(6, host CPUs), at least Docker's
// minimum of 0.01 CPU.
func (p Params) NanoCPUs() int64 {
	limit := float64(min(rules.MaxVCPUs, max(p.HostCPUs, 1)))
	cpus := min(float64(p.Spec.MemoryMB)/rules.MBPerVCPU, limit)
	return max(int64(cpus*1e9), 1e7)
}

// InitNanoCPUs is the CPU quota the container starts with, for its first init (Lambda's init
// burst): InitCPUs vCPU, at most the host's CPUs and at least NanoCPUs. Without InitCPUs it is
// NanoCPUs. The invoker lowers it to NanoCPUs once the first init has ended.
func (p Params) InitNanoCPUs() int64 {
	own := p.NanoCPUs()
	if !(p.InitCPUs > 0) { // NaN too
		return own
	}
	burst := min(p.InitCPUs, float64(max(p.HostCPUs, 1)))
	return max(int64(burst*1e9), own)
}

// ContainerConfig is the Docker definition of the container.
func ContainerConfig(p Params) (*container.Config, *container.HostConfig) {
	cfg := &container.Config{
		Image:      p.Image,
		Entrypoint: []string{agentproto.AgentPath},
		Cmd:        nil, // the agent takes its instructions from the channel's config.json
		User:       p.User,
		Env:        containerEnv(p),
		Labels:     p.Labels(),
	}
	memory := int64(p.Spec.MemoryMB) << 20
	pids := p.PidsLimit
	mounts := []mount.Mount{
		{Type: mount.TypeBind, Source: p.AgentBinary, Target: agentproto.AgentPath, ReadOnly: true},
		{Type: mount.TypeBind, Source: p.ChannelDir, Target: agentproto.ChannelDir},
	}
	if p.CodeDir != "" {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: p.CodeDir, Target: TaskRoot, ReadOnly: true})
	}
	if p.OptDir != "" {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: p.OptDir, Target: OptRoot, ReadOnly: true})
	}
	host := &container.HostConfig{
		Resources: container.Resources{
			Memory:     memory,
			MemorySwap: memory,           // memory + swap = memory: no swap
			NanoCPUs:   p.InitNanoCPUs(), // lowered to NanoCPUs after the first init
			PidsLimit:  &pids,
			Ulimits:    []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}},
		},
		SecurityOpt:    []string{"no-new-privileges"},
		CapDrop:        []string{"ALL"},
		ReadonlyRootfs: true,
		Tmpfs: map[string]string{
			"/tmp": fmt.Sprintf("rw,exec,nosuid,nodev,size=%dm,mode=1777", p.Spec.EphemeralMB),
		},
		Mounts:        mounts,
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled},
		LogConfig:     container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "1"}},
	}
	return cfg, host
}

// sanitize replaces every character Docker does not allow in container names with "-".
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '-'
	}, s)
}
