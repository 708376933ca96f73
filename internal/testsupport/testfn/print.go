package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"
)

// printOp writes ev.Lines lines of about ev.Size bytes to stdout ("print <i> xxx…"), then
// sleeps ev.MS, then exits with status 1 when ev.Exit (a crash), else returns {"printed":n}.
func printOp(ev event) (any, error) {
	w := bufio.NewWriterSize(os.Stdout, 64*1024)
	pad := strings.Repeat("x", max(0, ev.Size-16))
	for i := range ev.Lines {
		fmt.Fprintf(w, "print %d %s\n", i, pad)
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	time.Sleep(time.Duration(ev.MS) * time.Millisecond)
	if ev.Exit {
		os.Exit(1)
	}
	return map[string]int{"printed": ev.Lines}, nil
}
