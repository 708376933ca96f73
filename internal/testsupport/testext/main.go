// Command testext is an external Lambda extension for Lambdock's tests. Shipped as
// /opt/extensions/<name> (a layer, or an agent test's extension directory), it registers under
// its file name for INVOKE and SHUTDOWN and loops on /extension/event/next. Every event it gets
// is printed to stdout as "<name> event: <raw JSON>" and, when LAMBDOCK_TESTEXT_URL is set,
// POSTed there as is (header X-Testext-Name: <name>) before the extension asks for the next
// one: a test's server that holds the POST holds the extension in Lambda's post-invoke phase.
// After SHUTDOWN it exits 0. Any failure to talk to the Extensions API exits 1.
//
// It uses the standard library only; build it static: CGO_ENABLED=0 go build ./internal/testsupport/testext
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

const extensionAPI = "/2020-01-01/extension"

func main() {
	name := filepath.Base(os.Args[0])
	if err := run(name, os.Getenv("AWS_LAMBDA_RUNTIME_API"), os.Getenv("LAMBDOCK_TESTEXT_URL")); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(name, api, sink string) error {
	if api == "" {
		return fmt.Errorf("AWS_LAMBDA_RUNTIME_API is not set")
	}
	base := "http://" + api + extensionAPI
	id, err := register(base, name)
	if err != nil {
		return err
	}
	fmt.Printf("%s: registered\n", name)
	for {
		event, err := next(base, id)
		if err != nil {
			return err
		}
		fmt.Printf("%s event: %s\n", name, event)
		if sink != "" {
			if err := forward(sink, name, event); err != nil {
				fmt.Fprintf(os.Stderr, "%s: forward event: %v\n", name, err)
			}
		}
		var ev struct {
			EventType string `json:"eventType"`
		}
		if err := json.Unmarshal(event, &ev); err != nil {
			return fmt.Errorf("decode event %q: %w", event, err)
		}
		if ev.EventType == "SHUTDOWN" {
			return nil
		}
	}
}

// register registers the extension for INVOKE and SHUTDOWN and returns its identifier.
func register(base, name string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/register", bytes.NewReader([]byte(`{"events":["INVOKE","SHUTDOWN"]}`)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Lambda-Extension-Name", name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("register: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body) // only for the error message
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("register: status %d: %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Lambda-Extension-Identifier"), nil
}

// next blocks in /event/next and returns the event's raw JSON.
func next(base, id string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/event/next", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Lambda-Extension-Identifier", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("event/next: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("event/next: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("event/next: status %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// forward POSTs the raw event to the test's sink.
func forward(sink, name string, event []byte) error {
	req, err := http.NewRequest(http.MethodPost, sink, bytes.NewReader(event))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Testext-Name", name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // drained so the connection is reused
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
