package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"

	"go.uber.org/zap"
)

// startPProf serves net/http/pprof on cfg.PProf (a loopback address, checked by config) when
// it is set. It uses its own mux: nothing of the profiler reaches the gateway's listener.
func (s *Server) startPProf(ctx context.Context) error {
	if s.cfg.PProf == "" {
		return nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.PProf)
	if err != nil {
		return fmt.Errorf("server: --pprof %s: %w", s.cfg.PProf, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout, ErrorLog: zap.NewStdLog(s.log.Named("pprof"))}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.pprofLn = ln
	s.onStop("pprof server", false, func(context.Context) error {
		// Close, not Shutdown: a running CPU profile must not hold the stop up.
		err := srv.Close()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	})
	s.log.Info("pprof serving", zap.String("addr", ln.Addr().String()))
	return nil
}

// PProfAddr is the address serving net/http/pprof (host:port), or "" without --pprof.
func (s *Server) PProfAddr() string {
	if s.pprofLn == nil {
		return ""
	}
	return s.pprofLn.Addr().String()
}
