package main

import (
	"errors"
	"fmt"
	"slices"
)

// checkBaseline compares the run with the baseline of its machine class (or records it with
// -update-baseline), notes the outcome in the report and returns an error naming every
// regression.
func (rep *report) checkBaseline(o options) error {
	if o.baseline == "" {
		return nil
	}
	class, now := rep.host.class(), rep.metrics()
	if len(now) == 0 {
		rep.check = append(rep.check, "scenario 1 did not run: nothing to check")
		return nil
	}
	if o.updateBaseline {
		if w := loadWarning(rep.host.load, rep.host.cores); w != "" {
			log(fmt.Sprintf("warning: recording a baseline while the load average is %.1f on %d cores", rep.host.load, rep.host.cores))
		}
		if err := writeBaseline(o.baseline, class, rep.commit, rep.date, now); err != nil {
			return err
		}
		rep.check = append(rep.check, fmt.Sprintf("this run is the new baseline of machine class `%s` (%s)", class, o.baseline))
		log("recorded the baseline of " + class + " in " + o.baseline)
		return nil
	}
	f, err := readBaseline(o.baseline)
	if err != nil {
		return err
	}
	base, ok := f.Classes[class]
	if !ok {
		msg := fmt.Sprintf("no baseline for machine class %s in %s: nothing compared (record one on a quiet machine with -update-baseline)", class, o.baseline)
		rep.check = append(rep.check, msg)
		log(msg)
		return nil
	}
	regs, missing := compare(base.Metrics, now, o.tolerance)
	head := fmt.Sprintf("against the baseline of `%s` (%s, commit %s), tolerance %.0f %%:", class, base.Date, base.Commit, o.tolerance*100)
	if base.Note != "" {
		head = fmt.Sprintf("against the baseline of `%s` (%s; %s), tolerance %.0f %%:", class, base.Date, base.Note, o.tolerance*100)
	}
	rep.check = append(rep.check, head)
	names := make([]string, 0, len(base.Metrics))
	for name := range base.Metrics {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if v, ok := now[name]; ok && base.Metrics[name] > 0 {
			verdict := "ok"
			if slices.ContainsFunc(regs, func(r regression) bool { return r.Metric == name }) {
				verdict = "**regressed**"
			}
			rep.check = append(rep.check, fmt.Sprintf("`%s`: baseline %.2f, now %.2f, ratio %.2f — %s", name, base.Metrics[name], v, v/base.Metrics[name], verdict))
		}
	}
	for _, m := range missing {
		rep.check = append(rep.check, fmt.Sprintf("`%s`: not measured in this run", m))
	}
	if len(regs) == 0 {
		log("regression check against " + class + ": ok")
		return nil
	}
	var errs []error
	for _, r := range regs {
		errs = append(errs, errors.New(r.String()))
	}
	return fmt.Errorf("regression against the baseline of %s (%s), more than %.0f %% worse:\n%w", class, o.baseline, o.tolerance*100, errors.Join(errs...))
}
