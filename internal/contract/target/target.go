// Package target parses the ARNs Lambdock accepts where Lambda takes a destination or an event
// source: a function, a NATS subject, or a queue (a JetStream stream Lambdock manages). Tenants'
// subjects live under their own prefix, so no ARN can reach Lambdock's own subjects or another
// account's:
//
//	function  arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
//	subject   arn:aws:nats:<region>:<account>:subject/<subject>   → NATS subject lambdock.user.<account>.<subject>
//	queue     arn:aws:nats:<region>:<account>:queue/<name>        → stream LAMBDOCK_Q_<account>_<name>,
//	                                                                 subject lambdock.user.<account>.queue.<name>
//
// A subject is one or more dot-separated tokens of [A-Za-z0-9_-] (no wildcards); a queue name
// is 1–80 characters of [A-Za-z0-9_-].
package target

import (
	"fmt"
	"regexp"
	"strings"
)

// Kinds of target.
const (
	KindFunction = "function"
	KindSubject  = "subject"
	KindQueue    = "queue"
)

// Target is a parsed ARN.
type Target struct {
	Kind      string
	ARN       string
	Region    string
	AccountID string
	// Name is the function's or the queue's name; Qualifier a function's version or alias ("" =
	// unqualified); Subject a subject target's subject as the user wrote it.
	Name      string
	Qualifier string
	Subject   string
}

var (
	nameRe      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	qualifierRe = regexp.MustCompile(`^(\$LATEST|[A-Za-z0-9_-]{1,128})$`)
	queueRe     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	subjectRe   = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	accountRe   = regexp.MustCompile(`^[0-9]{12}$`)
)

// maxSubjectLen bounds a subject target's subject.
const maxSubjectLen = 200

// Parse parses arn. An empty region or account in the ARN is an error; the caller checks that
// they are its own.
func Parse(arn string) (Target, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" {
		return Target{}, fmt.Errorf("%q is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)", arn)
	}
	t := Target{ARN: arn, Region: parts[3], AccountID: parts[4]}
	if t.Region == "" || !accountRe.MatchString(t.AccountID) {
		return Target{}, fmt.Errorf("ARN %q needs a region and a 12-digit account id", arn)
	}
	resource := parts[5]
	switch parts[2] {
	case "lambda":
		rest, ok := strings.CutPrefix(resource, "function:")
		if !ok {
			return Target{}, fmt.Errorf("ARN %q is not a function ARN (…:function:<name>)", arn)
		}
		name, qualifier, _ := strings.Cut(rest, ":")
		if !nameRe.MatchString(name) || (qualifier != "" && !qualifierRe.MatchString(qualifier)) {
			return Target{}, fmt.Errorf("ARN %q has an invalid function name or qualifier", arn)
		}
		t.Kind, t.Name, t.Qualifier = KindFunction, name, qualifier
	case "nats":
		kind, rest, _ := strings.Cut(resource, "/")
		switch {
		case kind == KindSubject && len(rest) <= maxSubjectLen && subjectRe.MatchString(rest):
			t.Kind, t.Subject = KindSubject, rest
		case kind == KindQueue && queueRe.MatchString(rest):
			t.Kind, t.Name = KindQueue, rest
		default:
			return Target{}, fmt.Errorf("ARN %q is neither …:subject/<a.b.c> nor …:queue/<name>", arn)
		}
	default:
		return Target{}, fmt.Errorf("ARN %q names service %q; Lambdock reaches lambda (functions) and nats (subjects, queues)", arn, parts[2])
	}
	return t, nil
}

// NATSSubject is the subject a subject or queue target publishes on.
func (t Target) NATSSubject() string {
	switch t.Kind {
	case KindSubject:
		return "lambdock.user." + t.AccountID + "." + t.Subject
	case KindQueue:
		return QueueSubject(t.AccountID, t.Name)
	}
	return ""
}

// QueueSubject is the subject of account's queue name.
func QueueSubject(account, name string) string {
	return "lambdock.user." + account + ".queue." + name
}

// QueueStream is the JetStream stream of account's queue name.
func QueueStream(account, name string) string { return "LAMBDOCK_Q_" + account + "_" + name }

// QueueARN is the ARN of account's queue name.
func QueueARN(region, account, name string) string {
	return "arn:aws:nats:" + region + ":" + account + ":queue/" + name
}

// SubjectARN is the ARN of account's subject.
func SubjectARN(region, account, subject string) string {
	return "arn:aws:nats:" + region + ":" + account + ":subject/" + subject
}

// RuleARN is a schedule's ARN, as EventBridge names a rule (schedules are not targets; their
// ARN lives here beside the other ARNs Lambdock makes up).
func RuleARN(region, account, name string) string {
	return "arn:aws:events:" + region + ":" + account + ":rule/" + name
}
