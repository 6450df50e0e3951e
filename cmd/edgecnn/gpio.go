package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// gpioRule drives a pin high while a label is seen with at least a given
// probability (after smoothing), low otherwise.
type gpioRule struct {
	pin       string
	label     string
	threshold float64
	out       gpio.PinIO
	high      bool
}

// parseGPIO reads PIN=LABEL[:THRESHOLD] and checks the label against the
// model's.
func parseGPIO(spec string, labels []string) (*gpioRule, error) {
	pin, rest, ok := strings.Cut(spec, "=")
	if !ok || pin == "" || rest == "" {
		return nil, usagef("--gpio %q: want PIN=LABEL[:THRESHOLD], e.g. GPIO17=7:0.8", spec)
	}
	r := &gpioRule{pin: pin, label: rest, threshold: 0.5}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		t, err := strconv.ParseFloat(rest[i+1:], 64)
		if err != nil || t < 0 || t > 1 {
			return nil, usagef("--gpio %q: threshold %q is not a probability in [0, 1]", spec, rest[i+1:])
		}
		r.label, r.threshold = rest[:i], t
	}
	if !slices.Contains(labels, r.label) {
		return nil, usagef("--gpio %q: the model has no label %q (labels: %s)", spec, r.label, strings.Join(labels, " "))
	}
	return r, nil
}

// openGPIO initialises the host drivers and opens each rule's pin, set low.
// Off a Raspberry Pi (or without access to the GPIO chip) it is a clear
// error naming the board.
func openGPIO(rules []*gpioRule) error {
	if len(rules) == 0 {
		return nil
	}
	if _, err := host.Init(); err != nil {
		return fmt.Errorf("--gpio: cannot initialise GPIO on %s: %w", boardName(), err)
	}
	for _, r := range rules {
		p := gpioreg.ByName(r.pin)
		if p == nil {
			return fmt.Errorf("--gpio: no pin %q on this machine (%s): GPIO needs a Raspberry Pi (or another board periph.io supports) and access to /dev/gpiochip*", r.pin, boardName())
		}
		if err := p.Out(gpio.Low); err != nil {
			return fmt.Errorf("--gpio: %s: %w", r.pin, err)
		}
		r.out = p
	}
	return nil
}

// update sets the pin for the current (smoothed) label and probability.
func (r *gpioRule) update(label string, prob float64) error {
	high := label == r.label && prob >= r.threshold
	if high == r.high || r.out == nil {
		return nil
	}
	r.high = high
	level := gpio.Low
	if high {
		level = gpio.High
	}
	if err := r.out.Out(level); err != nil {
		return fmt.Errorf("--gpio: %s: %w", r.pin, err)
	}
	return nil
}

// release sets the pin low.
func (r *gpioRule) release() {
	if r.out != nil {
		r.out.Out(gpio.Low)
		r.high = false
	}
}
