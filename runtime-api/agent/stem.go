package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/runtime-api/channel"
	"github.com/lambdock/lambdock/runtime-api/environment"
)

// maxSpecialization bounds the body of POST /specialize (config and environment: Lambda allows
// 4 KB of function variables, so this is ample).
const maxSpecialization = 1 << 20

// runtimeAPIHandler serves the Runtime API: at once for a function's agent; for a stem, only
// once it is specialised (no runtime runs before, so nothing should call it).
func (a *Agent) runtimeAPIHandler() http.Handler {
	if !a.stem {
		return a.apiHandler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-a.ready:
			a.apiHandler.ServeHTTP(w, r)
		default:
			http.Error(w, "no function in this environment yet", http.StatusServiceUnavailable)
		}
	})
}

// channelHandler serves the invoker's channel. A stem serves PathHealth and PathSpecialize
// itself, and everything else only once specialised.
func (a *Agent) channelHandler() http.Handler {
	if !a.stem {
		return a.chanHandler
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+agentproto.PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("POST "+agentproto.PathSpecialize, a.specialize)
	mux.HandleFunc("GET "+agentproto.PathLogs, channel.LogsHandler(a.sink))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-a.ready:
			a.chanHandler.ServeHTTP(w, r)
		default:
			http.Error(w, "stem environment: not specialised", http.StatusConflict)
		}
	})
	return mux
}

// specialize turns the stem into the agent of the function the request names and boots its
// runtime with the environment given (not the container's own). It is accepted once.
func (a *Agent) specialize(w http.ResponseWriter, r *http.Request) {
	var sp agentproto.Specialization
	if err := json.NewDecoder(io.LimitReader(r.Body, maxSpecialization)).Decode(&sp); err != nil {
		http.Error(w, "specialize: bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if sp.Config.Stem || sp.Config.FunctionName == "" || len(sp.Environ) == 0 {
		http.Error(w, "specialize: a function name and an environment are required", http.StatusBadRequest)
		return
	}
	for _, kv := range sp.Environ {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsRune(kv, 0) {
			http.Error(w, "specialize: malformed environment entry", http.StatusBadRequest)
			return
		}
	}
	a.mu.Lock()
	if a.specialised || a.stopping {
		a.mu.Unlock()
		http.Error(w, "specialize: this environment is not a stem waiting for a function", http.StatusConflict)
		return
	}
	a.setFunction(configDefaults(sp.Config), withDockerVars(sp.Environ, a.opts.Environ))
	a.env.Boot()
	a.mu.Unlock()
	a.log.Info("specialised", "function", sp.Config.FunctionName, "version", sp.Config.FunctionVersion)
	_, _ = io.WriteString(w, "ok\n")
}

// withDockerVars returns environ with the variables Docker adds to every container's environment
// (HOSTNAME; HOME when the image sets none) taken from containerEnv where environ lacks them: a
// runtime started in a stem gets the stem container's values, as a runtime in a container
// created for its function gets that container's.
func withDockerVars(environ, containerEnv []string) []string {
	out := slices.Clone(environ)
	for _, k := range [...]string{"HOSTNAME", "HOME"} {
		if slices.ContainsFunc(environ, func(kv string) bool { return strings.HasPrefix(kv, k+"=") }) {
			continue
		}
		for _, kv := range containerEnv {
			if strings.HasPrefix(kv, k+"=") {
				out = append(out, kv)
				break
			}
		}
	}
	return out
}

// stop marks the agent as shutting down and returns its environment, nil if it never had a
// function (a stem removed unused).
func (a *Agent) stop() *environment.Env {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopping = true
	if !a.specialised {
		return nil
	}
	return a.env
}
